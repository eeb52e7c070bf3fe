from django.urls import path

from . import views

urlpatterns = [
    path("disputes/", views.dispute_list, name="dispute_list"),
    path("disputes/new/", views.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/actions/<slug:action>/", views.dispute_action, name="dispute_action"),
    path("disputes/<int:pk>/agreement/", views.agreement_page, name="dispute_agreement"),
    path("disputes/<int:pk>/agreement.docx", views.agreement_docx, name="dispute_agreement_docx"),
    path("disputes/<int:pk>/file/", views.case_file_page, name="dispute_case_file"),
    path("disputes/<int:pk>/file.docx", views.case_file_docx, name="dispute_case_file_docx"),
    path("mediation-orgs/", views.org_list, name="mediation_org_list"),
    path("mediation-orgs/<int:pk>/", views.org_detail, name="mediation_org_detail"),
    path("screenings/", views.screening, name="screening"),
]
