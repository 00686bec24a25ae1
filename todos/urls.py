from rest_framework.routers import SimpleRouter

from todos.list_views import TodoListViewSet
from todos.views import TodoViewSet

router = SimpleRouter(trailing_slash=False)
router.register("todos", TodoViewSet, basename="todo")
router.register("lists", TodoListViewSet, basename="list")

urlpatterns = router.urls
