from rest_framework.routers import SimpleRouter

from todos.views import TodoViewSet

router = SimpleRouter(trailing_slash=False)
router.register("todos", TodoViewSet, basename="todo")

urlpatterns = router.urls
