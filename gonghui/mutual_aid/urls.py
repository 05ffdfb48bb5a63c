from django.urls import path

from gonghui.mutual_aid import views

app_name = "mutual_aid"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent_change, name="consent"),
    path("c/<str:signed>/", views.open_link, name="open_link"),
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/documents/", views.claim_document, name="claim_document"),
    path("claims/<int:claim_id>/<str:decision>/", views.claim_decide, name="claim_decide"),
    path("documents/<int:document_id>/", views.document_download, name="document"),
    path("review/", views.review_queue, name="review_queue"),
    path("intake/", views.intake, name="intake"),
    path("intake/<int:batch_id>/", views.intake_detail, name="intake_detail"),
    path("intake/<int:batch_id>/rejected.csv", views.intake_rejected, name="intake_rejected"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("enrolments/", views.enrolment_list, name="enrolment_list"),
    path("enrolments/new/", views.enrolment_form, name="enrolment_form"),
    path("enrolments/import/", views.enrolment_import, name="enrolment_import"),
    path("enrolments/import/template.xlsx", views.enrolment_import_template, name="enrolment_template"),
    path("payouts/", views.payout_list, name="payout_list"),
    path("payouts/<int:batch_id>/file.<str:fmt>", views.payout_file, name="payout_file"),
    path("payouts/<int:batch_id>/return/", views.payout_return, name="payout_return"),
]
