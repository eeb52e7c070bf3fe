from django.urls import path

from . import views

app_name = "legal"

urlpatterns = [
    path("legal/", views.workbench, name="workbench"),
    path("legal/consultations/", views.consultation_list, name="consultation_list"),
    path("legal/consultations/new/", views.consultation_new, name="consultation_new"),
    path("legal/consultations/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("legal/consultations/<int:pk>/answer/", views.consultation_answer, name="consultation_answer"),
    path("legal/consultations/<int:pk>/refer/<slug:kind>/", views.consultation_refer, name="consultation_refer"),
    path("legal/aid/", views.aid_list, name="aid_list"),
    path("legal/aid/new/", views.aid_new, name="aid_new"),
    path("legal/aid/<int:pk>/", views.aid_detail, name="aid_detail"),
    path("legal/aid/<int:pk>/actions/<slug:action>/", views.aid_action, name="aid_action"),
    path("legal/events/", views.event_list, name="event_list"),
    path("legal/events/new/", views.event_new, name="event_new"),
    path("legal/events/calendar/", views.event_calendar, name="event_calendar"),
    path("legal/lessons/", views.lesson_list, name="lesson_list"),
    path("legal/lessons/new/", views.lesson_new, name="lesson_new"),
    path("legal/registry/<slug:kind>/", views.registry, name="registry"),
    path("legal/registry/savvy/new/", views.savvy_new, name="savvy_new"),
    path("legal/registry/savvy/<int:pk>/", views.savvy_detail, name="savvy_detail"),
    path("legal/registry/advisers/<int:pk>/", views.adviser_detail, name="adviser_detail"),
]
