"""
The pages a person opens, in headless Chromium against a production-mode
gunicorn: the root page, Swagger UI, Redoc and the admin all work under their
Content-Security-Policy, load nothing from outside the machine, and show what
they are for.
"""

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from testing.servers import BASE_DIR, LiveServer, project_env, scratch_database

pytestmark = pytest.mark.live

CHROMIUM = "/usr/bin/chromium"
ADMIN_EMAIL = "operator@example.com"
ADMIN_PASSWORD = "a long operator password"
# Redoc's bundle hard-codes its sidebar logo on a CDN; `img-src 'self'`
# is what keeps the page from fetching it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# Generous: the machine may be busy, and the docs bundles are large.
PAGE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server():
    with scratch_database() as database_url:
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput"],
            cwd=BASE_DIR,
            env=project_env(
                DATABASE_URL=database_url,
                DJANGO_SUPERUSER_EMAIL=ADMIN_EMAIL,
                DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
            ),
            check=True,
            timeout=120,
        )
        with LiveServer(env={"DATABASE_URL": database_url}, workers=2) as live:
            yield live


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


class Visit:
    """A page in a fresh context, recording CSP violations and every request."""

    def __init__(self, browser, server):
        self.context = browser.new_context()
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.server = server
        self.requests = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def open(self, path):
        response = self.page.goto(self.server.url + path)
        assert response.status == 200
        assert "Content-Security-Policy" in response.headers | {
            k.title(): v for k, v in response.headers.items()
        }
        return response

    def violations(self):
        return self.page.evaluate("window.__violations")

    def outside_requests(self):
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https")
            and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
        ]

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    visit = Visit(browser, server)
    yield visit
    visit.close()


def test_root_page_links_the_docs(visit):
    visit.open("/")

    assert visit.page.title() == "todoapp API"
    assert visit.page.get_by_role("link", name="API docs").get_attribute("href") == (
        "/api/docs/"
    )
    assert visit.violations() == []
    assert visit.outside_requests() == []


def test_swagger_ui_renders_the_operations_under_its_policy(visit):
    visit.open("/api/docs/")

    visit.page.get_by_text("List todos").first.wait_for()
    assert visit.page.get_by_text("Create a todo").first.is_visible()
    assert visit.violations() == []
    assert visit.outside_requests() == []


def test_redoc_renders_the_reference_under_its_policy(visit):
    visit.open("/api/redoc/")

    visit.page.get_by_role("heading", name="todoapp API").first.wait_for()
    visit.page.get_by_role("heading", name="List todos").first.wait_for()
    assert set(visit.violations()) <= {f"img-src {REDOC_LOGO}"}
    assert visit.outside_requests() in ([], [REDOC_LOGO])


def test_admin_signs_in_and_lists_todos_under_its_policy(visit):
    visit.open("/admin/login/")
    page = visit.page
    # Styled: the admin's stylesheet applied.
    assert page.locator("#header").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    ) not in ("", "rgba(0, 0, 0, 0)")

    page.fill("#id_username", ADMIN_EMAIL)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.get_by_role("link", name="Todos").first.wait_for()
    page.goto(visit.server.url + "/admin/todos/todo/")
    page.get_by_text("Select todo to change").wait_for()
    # The owner filter is a box to type into.
    page.fill("input[name=owner_email]", ADMIN_EMAIL)
    page.press("input[name=owner_email]", "Enter")
    page.wait_for_url("**owner_email=*")
    if os.environ.get("BROWSER_SCREENSHOTS"):
        page.screenshot(path=os.environ["BROWSER_SCREENSHOTS"] + "/admin.png")

    assert visit.violations() == []
    assert visit.outside_requests() == []
