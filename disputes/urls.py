from django.urls import include, path

from . import views

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("attachments/<slug:token>/", views.attachment, name="attachment"),
]

# Dispute mediation (disputes/mediation/urls.py).
urlpatterns += [path("", include("disputes.mediation.urls"))]
