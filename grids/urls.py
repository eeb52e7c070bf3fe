from django.urls import path

from . import views

urlpatterns = [
    path("areas/", views.area_browser, name="area_browser"),
    path("areas/<int:pk>/", views.area_detail, name="area_detail"),
    path("areas/<int:pk>/team/", views.grid_team, name="grid_team"),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
]

# Field work (巡查走访, 一户一档, 入户登记, 帮教)
from . import field_views  # noqa: E402

urlpatterns += [
    path("patrols/", field_views.patrol_list, name="patrol_list"),
    path("patrols/start/", field_views.patrol_start, name="patrol_start"),
    path("patrols/unpatrolled/", field_views.unpatrolled_grids, name="unpatrolled_grids"),
    path("patrols/<int:pk>/", field_views.patrol_detail, name="patrol_detail"),
    path("patrols/<int:pk>/track/", field_views.patrol_track, name="patrol_track"),
    path("patrols/<int:pk>/end/", field_views.patrol_end, name="patrol_end"),
    path("patrols/<int:pk>/visit/", field_views.patrol_visit, name="patrol_visit"),
    path("visits/<int:pk>/photo/", field_views.visit_photo, name="visit_photo"),
    path("households/", field_views.household_list, name="household_list"),
    path("households/new/", field_views.household_new, name="household_new"),
    path("households/<int:pk>/", field_views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", field_views.household_edit, name="household_edit"),
    path("households/<int:pk>/residents/new/", field_views.resident_new, name="resident_new"),
    path("residents/<int:pk>/edit/", field_views.resident_edit, name="resident_edit"),
    path("households/<int:pk>/visit/", field_views.household_visit, name="household_visit"),
    path("residents/<int:pk>/follow-up/", field_views.follow_up_assign, name="follow_up_assign"),
    path("follow-ups/", field_views.follow_up_list, name="follow_up_list"),
]
