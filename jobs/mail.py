"""
Sending mail from a job, through Django's mail framework (EMAIL_URL).

Mail is sent only by the worker, never in a request: the request enqueues a
job in its own transaction, so a rolled-back request sends nothing and a
committed one loses nothing, and a slow or absent mail server delays no one.
"""

import smtplib

from django.core.mail import EmailMultiAlternatives

# What a job can retry: the server is down, refused us for now, or timed out.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def send_message(to, subject, text, html, headers=None, connection=None):
    """Send one mail with a plain-text and an HTML part; raises if it cannot."""
    mail = EmailMultiAlternatives(
        subject=subject, body=text, to=[to], headers=headers, connection=connection
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
