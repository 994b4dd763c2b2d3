"""``/participation/``: the pages of every part."""

from django.urls import path

from gridgov.participation.views import consultations, projects, supervision
from gridgov.participation.views.votes import owner as vote_owner
from gridgov.participation.views.votes import record as vote_record
from gridgov.participation.views.votes import results as vote_results
from gridgov.participation.views.votes import staff as vote_staff
from gridgov.participation.views.votes import tally as vote_tally

app_name = "participation"

urlpatterns: list = []

# Consultations (征询) and multi-stage projects (加装电梯等).
urlpatterns += [
    path("consultations/", consultations.consultation_list, name="consultation_list"),
    path("consultations/new/", consultations.consultation_create, name="consultation_create"),
    path(
        "consultations/<int:consultation_id>/",
        consultations.consultation_detail,
        name="consultation_detail",
    ),
    path(
        "consultations/<int:consultation_id>/record/",
        consultations.consultation_record,
        name="consultation_record",
    ),
    path(
        "consultations/<int:consultation_id>/remind/",
        consultations.consultation_remind,
        name="consultation_remind",
    ),
    path(
        "consultations/<int:consultation_id>/close/",
        consultations.consultation_close,
        name="consultation_close",
    ),
    path("my/consultations/", consultations.my_consultations, name="my_consultations"),
    path(
        "my/consultations/<int:consultation_id>/",
        consultations.my_consultation,
        name="my_consultation",
    ),
    path("projects/", projects.programme, name="project_programme"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path(
        "projects/<int:project_id>/stages/",
        projects.project_stage_reach,
        name="project_stage_reach",
    ),
    path(
        "projects/<int:project_id>/documents/",
        projects.project_document_upload,
        name="project_document_upload",
    ),
    path(
        "projects/documents/<int:document_id>/",
        projects.project_document,
        name="project_document",
    ),
    path("my/projects/", projects.my_projects, name="my_projects"),
]

# Owners' votes (业主表决).
urlpatterns += [
    path("votes/", vote_staff.vote_list, name="vote_list"),
    path("votes/new/", vote_staff.vote_create_page, name="vote_create"),
    path("votes/new/scope/", vote_staff.vote_scope_choices, name="vote_scope_choices"),
    path("votes/new/rule/", vote_staff.vote_rule_preview, name="vote_rule_preview"),
    path("votes/<int:pk>/", vote_staff.vote_detail, name="vote_detail"),
    path("votes/<int:pk>/board/", vote_tally.vote_board, name="vote_board"),
    path("votes/<int:pk>/open/", vote_staff.vote_open_page, name="vote_open"),
    path("votes/<int:pk>/close/", vote_staff.vote_close_page, name="vote_close"),
    path("votes/<int:pk>/record/", vote_record.vote_record, name="vote_record"),
    path("votes/<int:pk>/record/paper/", vote_record.vote_paper_ballot, name="vote_paper_ballot"),
    path("votes/<int:pk>/record/proxy/", vote_record.vote_proxy, name="vote_proxy"),
    path("votes/<int:pk>/record/designate/", vote_record.vote_designate, name="vote_designate"),
    path("votes/<int:pk>/ballots/", vote_results.vote_ballots, name="vote_ballots"),
    path("votes/<int:pk>/result/", vote_results.vote_result, name="vote_result"),
    path(
        "votes/<int:pk>/result.pdf", vote_results.vote_result_pdf_download, name="vote_result_pdf"
    ),
    path(
        "votes/<int:pk>/result.xlsx",
        vote_results.vote_result_xlsx_download,
        name="vote_result_xlsx",
    ),
    path("votes/<int:pk>/receipt/", vote_results.vote_receipt_check, name="vote_receipt"),
    path("my/votes/", vote_owner.my_votes, name="my_votes"),
    path("my/votes/<int:pk>/", vote_owner.my_vote, name="my_vote"),
]

# Property-service supervision (物业服务测评, 红黑榜, 四公开一监督).
urlpatterns += [
    path("ratings/", supervision.rating_home, name="rating_home"),
    path("ratings/open/", supervision.survey_open, name="survey_open"),
    path("ratings/items/", supervision.service_items, name="service_items"),
    path("ratings/ranking/", supervision.ranking_latest, name="ranking_latest"),
    path("ratings/scores/<int:score_id>/", supervision.score_detail, name="score_detail"),
    path("ratings/<int:survey_id>/rate/", supervision.rating_form, name="rating_form"),
    path("ratings/<int:survey_id>/ranking/", supervision.ranking, name="ranking"),
    path("ratings/<int:survey_id>/close/", supervision.survey_close, name="survey_close"),
    path("disclosure/", supervision.disclosure_list, name="disclosure_list"),
    path("disclosure/<int:estate_id>/", supervision.disclosure, name="disclosure"),
    path("disclosure/<int:estate_id>/edit/", supervision.disclosure_edit, name="disclosure_edit"),
]
