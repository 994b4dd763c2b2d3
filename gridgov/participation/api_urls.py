"""``/api/v1/participation/…``: the API of every part."""

from django.urls import path

from gridgov.participation.api import consultations, projects, supervision
from gridgov.participation.api.votes import views as votes

urlpatterns: list = []

# Property-service supervision (物业服务测评, 红黑榜, 四公开一监督).
urlpatterns += [
    path(
        "participation/rating-surveys/",
        supervision.SurveyListView.as_view(),
        name="api-participation-rating-surveys",
    ),
    path(
        "participation/rating-surveys/<int:survey_id>/",
        supervision.SurveyDetailView.as_view(),
        name="api-participation-rating-survey",
    ),
    path(
        "participation/rating-surveys/<int:survey_id>/responses/",
        supervision.ResponseCreateView.as_view(),
        name="api-participation-rating-responses",
    ),
    path(
        "participation/rating-surveys/<int:survey_id>/ranking/",
        supervision.RankingView.as_view(),
        name="api-participation-rating-ranking",
    ),
    path(
        "participation/rating-scores/<int:score_id>/",
        supervision.ScoreDetailView.as_view(),
        name="api-participation-rating-score",
    ),
    path(
        "participation/estates/<int:estate_id>/disclosure/",
        supervision.DisclosureView.as_view(),
        name="api-participation-disclosure",
    ),
]

# Consultations (征询) and multi-stage projects (加装电梯等).
urlpatterns += [
    path(
        "participation/consultations/",
        consultations.ConsultationListView.as_view(),
        name="api-participation-consultations",
    ),
    path(
        "participation/consultations/<int:consultation_id>/",
        consultations.ConsultationDetailView.as_view(),
        name="api-participation-consultation",
    ),
    path(
        "participation/consultations/<int:consultation_id>/answers/",
        consultations.ConsultationAnswerRecordView.as_view(),
        name="api-participation-consultation-answers",
    ),
    path(
        "participation/consultations/<int:consultation_id>/close/",
        consultations.ConsultationCloseView.as_view(),
        name="api-participation-consultation-close",
    ),
    path(
        "participation/consultations/<int:consultation_id>/remind/",
        consultations.ConsultationRemindView.as_view(),
        name="api-participation-consultation-remind",
    ),
    path(
        "participation/my/consultations/",
        consultations.MyConsultationListView.as_view(),
        name="api-participation-my-consultations",
    ),
    path(
        "participation/my/consultations/<int:consultation_id>/answer/",
        consultations.MyConsultationAnswerView.as_view(),
        name="api-participation-my-consultation-answer",
    ),
    path(
        "participation/projects/",
        projects.ProjectListView.as_view(),
        name="api-participation-projects",
    ),
    path(
        "participation/projects/funnel/",
        projects.ProjectFunnelView.as_view(),
        name="api-participation-project-funnel",
    ),
    path(
        "participation/projects/<int:project_id>/",
        projects.ProjectDetailView.as_view(),
        name="api-participation-project",
    ),
    path(
        "participation/projects/<int:project_id>/stages/<slug:stage_code>/reach/",
        projects.ProjectStageReachView.as_view(),
        name="api-participation-project-stage-reach",
    ),
    path(
        "participation/projects/<int:project_id>/documents/",
        projects.ProjectDocumentView.as_view(),
        name="api-participation-project-documents",
    ),
    path(
        "participation/my/projects/",
        projects.MyProjectListView.as_view(),
        name="api-participation-my-projects",
    ),
]

# Owners' votes (业主表决), under /api/v1/votes/ (DESIGN D10).
urlpatterns += [
    path("votes/", votes.VoteListView.as_view(), name="api-votes"),
    path("votes/mine/", votes.OwnerVoteListView.as_view(), name="api-votes-mine"),
    path("votes/<int:vote_id>/", votes.VoteDetailView.as_view(), name="api-vote"),
    path("votes/<int:vote_id>/open/", votes.VoteOpenView.as_view(), name="api-vote-open"),
    path("votes/<int:vote_id>/close/", votes.VoteCloseView.as_view(), name="api-vote-close"),
    path("votes/<int:vote_id>/tally/", votes.VoteTallyView.as_view(), name="api-vote-tally"),
    path("votes/<int:vote_id>/ballots/", votes.BallotListView.as_view(), name="api-vote-ballots"),
    path(
        "votes/<int:vote_id>/paper-ballots/",
        votes.PaperBallotView.as_view(),
        name="api-vote-paper-ballots",
    ),
    path("votes/<int:vote_id>/proxies/", votes.ProxyView.as_view(), name="api-vote-proxies"),
    path(
        "votes/<int:vote_id>/designations/",
        votes.DesignationView.as_view(),
        name="api-vote-designations",
    ),
    path("votes/<int:vote_id>/roll/", votes.RollView.as_view(), name="api-vote-roll"),
    path(
        "votes/<int:vote_id>/receipts/check/",
        votes.ReceiptCheckView.as_view(),
        name="api-vote-receipt-check",
    ),
    path("votes/<int:vote_id>/result/", votes.ResultView.as_view(), name="api-vote-result"),
    path(
        "votes/<int:vote_id>/result/pdf/", votes.ResultPdfView.as_view(), name="api-vote-result-pdf"
    ),
    path(
        "votes/<int:vote_id>/result/xlsx/",
        votes.ResultXlsxView.as_view(),
        name="api-vote-result-xlsx",
    ),
]
