from django.urls import include, path

from . import public_views, views

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("attachments/<slug:token>/", views.attachment, name="attachment"),
    # Residents in the loop (issue 15): hotline intake, and the public pages (no login)
    path("cases/hotline/", views.hotline_new, name="hotline_new"),
    path("report/", public_views.report, name="public_report"),
    path("track/<str:code>/", public_views.track, name="public_track"),
]

# Dispute mediation (disputes/mediation/urls.py).
urlpatterns += [path("", include("disputes.mediation.urls"))]
