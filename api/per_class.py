"""What a mixin builds once per class of its instances, and keeps there."""


def once_per_class(instance, name, build):
    """
    `build()`, called for the first instance of each class and kept on the
    class as `name` (in its own __dict__, so a subclass builds its own). Two
    threads may both build it at first: either serves, the last is kept.
    """
    cls = type(instance)
    built = cls.__dict__.get(name)
    if built is None:
        built = build()
        setattr(cls, name, built)
    return built
