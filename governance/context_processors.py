from django.http import HttpRequest


def header(request: HttpRequest) -> dict:
    """What the page header needs: the user's roles and unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from grids.notifications import unread_count
    from grids.selectors import get_scope

    return {
        "scope": get_scope(user),
        "unread_notifications": unread_count(user),
    }
