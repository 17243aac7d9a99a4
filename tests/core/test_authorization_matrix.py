"""Every route, requested by every role: the status each gets, no 5xx, no one else's data.

The table below lists each URL pattern of the site (by name; unnamed patterns by their
path). A pattern missing from it fails the test, so a new page or endpoint must say here who
may reach it. The admin's generated patterns share one rule: staff only.

Roles: anonymous; annotators A (owns the dialogue, pair and comparison) and B; a staff admin;
the admin's full token; the admin's token scoped to another batch; the admin's token scoped to
a batch since deleted (its scope is empty, not everything); A's read-only token.
"""

import copy
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts.services import api_token_create
from apps.assignments.services import lease_claim
from apps.batches.flags import annotator_flag_raise
from apps.batches.models import Batch
from apps.dialogues.services import dialogue_continue, dialogue_judge, dialogue_start
from apps.evaluation.services import study_create
from apps.exports.models import ExportJob
from apps.leaderboard.models import LeaderboardRun
from apps.pairs.models import Pair
from apps.pools.models import PoolUpload
from tests.factories import (
    BatchFactory,
    ModelVariantFactory,
    UserFactory,
    pool_pair_ready,
    samples_finish,
)

SECRET = "a-private-prompt-7f3"  # in A's prompts and responses: B must never see it

ROLES = ("anon", "a", "b", "staff", "tok_full", "tok_other", "tok_gone", "tok_ro")
SESSION_ROLES = ("a", "b", "staff")
TOKEN_ROLES = ("tok_full", "tok_other", "tok_gone", "tok_ro")
# Who may see A's text: A, and staff (admin pages, exports) with the staff's unscoped token.
MAY_SEE_SECRET = {"a", "staff", "tok_full", "tok_ro"}


def _all(status: int) -> dict[str, set[int]]:
    return {role: {status} for role in ROLES}


def _page(*, a: set[int], b: set[int], staff: set[int]) -> dict[str, set[int]]:
    """A login-required HTML page: anonymous callers and bare tokens go to the login page."""
    return {"anon": {302}, "a": a, "b": b, "staff": staff} | {r: {302} for r in TOKEN_ROLES}


def _api(**statuses: set[int]) -> dict[str, set[int]]:
    """A DRF endpoint: anonymous gets 401 (it names the token scheme)."""
    return {"anon": {401}} | statuses


OWN_ONLY = {"a": {302}, "b": {404}, "staff": {404}}  # writes to A's dialogue or pair

EXPECTED: dict[str, dict[str, set[int]]] = {
    "GET home": _all(302),
    "GET health": _all(200),
    "GET favicon": _all(301),
    "GET login": _all(200),
    "GET logout": _all(405),
    "POST logout": _all(302),
    "GET batches:list": _page(a={200}, b={200}, staff={200}),
    # The matrix's batch is open to all annotators (assignment has its own tests).
    "GET dialogues:batch": _page(a={200}, b={200}, staff={200}),
    "GET fleet:status": _page(a={302}, b={302}, staff={200}),
    "GET dialogues:start": _page(a={405}, b={405}, staff={405}),
    "POST dialogues:start": _page(a={302}, b={302}, staff={302}),
    "GET dialogues:detail": _page(a={200}, b={404}, staff={404}),
    "GET dialogues:continue": _page(a={405}, b={405}, staff={405}),
    # A's dialogue has an unjudged pair: a new turn is refused with the form error.
    "POST dialogues:continue": _page(a={400}, b={404}, staff={404}),
    "GET dialogues:finish": _page(a={405}, b={405}, staff={405}),
    "POST dialogues:finish": _page(**OWN_ONLY),
    "GET dialogues:pair-status": _page(a={200}, b={404}, staff={404}),
    "GET dialogues:pair-retry": _page(a={405}, b={405}, staff={405}),
    "POST dialogues:pair-retry": _page(**OWN_ONLY),
    "GET dialogues:judge": _page(a={405}, b={405}, staff={405}),
    "POST dialogues:judge": _page(**OWN_ONLY),
    "GET exports:schema": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET exports:docs": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET exports:batch-list": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    # The batch was created by the staff admin: others (and the token of another batch) 404.
    "GET exports:batch-detail": _api(
        a={404}, b={404}, staff={200}, tok_full={200}, tok_other={404}, tok_gone={404}, tok_ro={404}
    ),
    "GET exports:comparison-list": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET exports:stream": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET exports:card": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET exports:job-list": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "POST exports:job-list": _api(
        a={201}, b={201}, staff={201}, tok_full={201}, tok_other={201}, tok_gone={201}, tok_ro={403}
    ),
    # The staff admin's job over the shared batch (not done yet: 409 to those who may read it).
    "GET exports:job-detail": _api(
        a={404}, b={404}, staff={200}, tok_full={200}, tok_other={404}, tok_gone={404}, tok_ro={404}
    ),
    "GET exports:job-download": _api(
        a={404}, b={404}, staff={409}, tok_full={409}, tok_other={404}, tok_gone={404}, tok_ro={404}
    ),
    # Staff pages: annotators are refused outright (403), whatever the batch.
    **{
        f"{method} {name}": _page(a={403}, b={403}, staff=staff)
        for method, name, staff in [
            ("GET", "batch_manage:list", {200}),
            ("GET", "batch_manage:create", {200}),
            ("POST", "batch_manage:create", {400}),  # an empty form: field errors
            ("GET", "batch_manage:edit", {200}),
            ("POST", "batch_manage:edit", {400}),
            ("GET", "batch_manage:clone", {200}),
            ("POST", "batch_manage:clone", {400}),
            ("GET", "batch_manage:open", {405}),
            ("POST", "batch_manage:open", {302}),  # already open: refused with a message
            ("GET", "batch_manage:close", {405}),
            ("POST", "batch_manage:close", {302}),
            ("GET", "dashboards:batch", {200}),
            ("GET", "dashboards:panel", {200}),
            ("GET", "dashboards:pairs", {200}),
            ("GET", "pools:upload", {200}),
            ("POST", "pools:upload", {400}),  # no file
            ("GET", "pools:progress", {200}),
            ("GET", "pools:upload-cancel", {405}),
            ("POST", "pools:upload-cancel", {302}),  # already ended: refused with a message
            ("GET", "pools:upload-report", {200}),
            ("GET", "quality:batch", {200}),
            ("GET", "quality:flag-lift", {405}),
            ("POST", "quality:flag-lift", {302}),  # lifted, with a message
            ("GET", "quality:pause", {405}),
            ("POST", "quality:pause", {302}),  # an empty form: refused with a message
            ("GET", "quality:review", {200}),
            ("GET", "quality:review-gold-mark", {405}),
            ("POST", "quality:review-gold-mark", {302}),
            ("GET", "quality:review-gold-unmark", {405}),
            ("POST", "quality:review-gold-unmark", {302}),
            ("GET", "quality:review-withdraw", {405}),
            ("POST", "quality:review-withdraw", {302}),
            ("GET", "quality:review-restore", {405}),
            ("POST", "quality:review-restore", {302}),
            ("GET", "evaluation_manage:list", {200}),
            ("POST", "evaluation_manage:list", {400}),  # an empty form: field errors
            ("GET", "evaluation_manage:detail", {200}),
            ("GET", "evaluation_manage:status", {405}),
            ("POST", "evaluation_manage:status", {302}),  # no status given: a message
            ("GET", "leaderboard:index", {200}),
            ("POST", "leaderboard:index", {400}),  # an empty form: field errors
            ("GET", "leaderboard:run", {200}),
            ("POST", "leaderboard:run", {405}),
        ]
    },
    # Evaluation studies' rating pages: the matrix's study lists A as its rater (staff may
    # rate any study); B is not listed. An empty rating is refused with a message.
    "GET evaluation:list": _page(a={200}, b={200}, staff={200}),
    "GET evaluation:rate": _page(a={200}, b={404}, staff={200}),
    "POST evaluation:rate": _page(a={302}, b={404}, staff={302}),
    # A study's results and raw ratings over REST: staff only, scoped by the study's pool batch.
    **{
        f"GET evaluation_api:{name}": _api(
            a={403},
            b={403},
            staff={200},
            tok_full={200},
            tok_other={404},
            tok_gone={404},
            tok_ro={403},
        )
        for name in ("study", "ratings-jsonl", "ratings-parquet")
    },
    # The work queue's pages. A holds the lease; B and staff may claim their own pairs.
    "GET queue:next": _page(a={405}, b={405}, staff={405}),
    "POST queue:next": _page(a={302}, b={302}, staff={302}),
    "GET queue:overview": _page(a={200}, b={200}, staff={200}),
    "GET queue:lease": _page(a={200}, b={404}, staff={404}),
    "POST queue:lease": _page(a={302}, b={404}, staff={404}),
    # Feedback exists only on a qualification answer: A's lease is on a normal pair.
    "GET queue:feedback": _page(a={404}, b={404}, staff={404}),
    **{
        f"GET queue:{name}": _page(a={405}, b={405}, staff={405})
        for name in ("skip", "flag", "release")
    },
    "POST queue:skip": _page(a={302}, b={404}, staff={404}),
    "POST queue:flag": _page(a={302}, b={404}, staff={404}),
    "POST queue:release": _page(a={302}, b={404}, staff={404}),
    "GET queue:history": _page(a={200}, b={200}, staff={200}),
    # Quality figures over REST: staff only; a token of another batch 404s.
    "GET quality_api:batch": _api(
        a={403}, b={403}, staff={200}, tok_full={200}, tok_other={404}, tok_gone={404}, tok_ro={403}
    ),
    # Leaderboard runs over REST: staff only; a run over a batch outside a token's scope 404s,
    # an empty request is refused (400), a read-only token may not start one (A's: not staff).
    "GET leaderboard_api:run-list": _api(
        a={403}, b={403}, staff={405}, tok_full={405}, tok_other={405}, tok_gone={405}, tok_ro={403}
    ),
    "POST leaderboard_api:run-list": _api(
        a={403}, b={403}, staff={400}, tok_full={400}, tok_other={400}, tok_gone={400}, tok_ro={403}
    ),
    "GET leaderboard_api:run-detail": _api(
        a={403}, b={403}, staff={200}, tok_full={200}, tok_other={404}, tok_gone={404}, tok_ro={403}
    ),
    "POST leaderboard_api:run-detail": _api(
        a={403}, b={403}, staff={405}, tok_full={405}, tok_other={405}, tok_gone={405}, tok_ro={403}
    ),
    # The queue over REST: a read-only token may only read, a token of another batch 404s.
    "POST queue_api:claim": _api(
        a={201}, b={201}, staff={201}, tok_full={201}, tok_other={404}, tok_gone={404}, tok_ro={403}
    ),
    **{
        f"GET queue_api:{name}": _api(**{r: {405} for r in SESSION_ROLES + TOKEN_ROLES})
        for name in ("claim", "submit", "skip", "release", "flag")
    },
    "GET queue_api:lease-list": _api(**{r: {200} for r in SESSION_ROLES + TOKEN_ROLES}),
    "GET queue_api:lease-detail": _api(
        a={200}, b={404}, staff={404}, tok_full={404}, tok_other={404}, tok_gone={404}, tok_ro={200}
    ),
    **{
        f"POST queue_api:{name}": _api(
            a={ok},
            b={404},
            staff={404},
            tok_full={404},
            tok_other={404},
            tok_gone={404},
            tok_ro={403},
        )
        for name, ok in [("submit", 201), ("skip", 200), ("release", 200), ("flag", 200)]
    },
}

# The admin: everyone but staff is sent to the admin login, which itself is open.
ADMIN_REFUSED = {r: {302} for r in ROLES if r != "staff"}
ADMIN_EXPECTED: dict[str, dict[str, set[int]]] = {
    "GET admin:login": _all(200) | {"staff": {302}},
    "GET admin:logout": ADMIN_REFUSED | {"staff": {405}},
    # Without its query parameters the autocomplete view refuses even staff.
    "GET admin:autocomplete": ADMIN_REFUSED | {"staff": {403}},
    # No model here has a public URL to go to.
    "GET admin:view_on_site": ADMIN_REFUSED | {"staff": {404}},
    "GET admin/(?P<url>.*)$": ADMIN_REFUSED | {"staff": {404}},
    # django-axes' records are read-only: nobody adds a login attempt by hand.
    "GET admin:axes_accessattempt_add": ADMIN_REFUSED | {"staff": {403}},
    "GET admin:axes_accesslog_add": ADMIN_REFUSED | {"staff": {403}},
    "GET admin:axes_accessfailurelog_add": ADMIN_REFUSED | {"staff": {403}},
    # The audit log is append-only: staff read it, nobody adds or deletes events by hand.
    "GET admin:audit_auditevent_add": ADMIN_REFUSED | {"staff": {403}},
    "GET admin:audit_auditevent_delete": ADMIN_REFUSED | {"staff": {403}},
    # Collected data is evidence: staff list and view it, nobody adds, changes or deletes it.
    **{
        f"{method} admin:{model}_{view}": ADMIN_REFUSED | {"staff": {403}}
        for model in (
            "preferences_comparison",
            "dialogues_dialogue",
            "dialogues_turn",
            "pairs_pair",
            "pairs_sample",
            "pools_poolupload",
            "pools_poolitem",
            "assignments_lease",
            "pairs_judgmentslot",
            # Quality control's records: raised, lifted and reset through audited services.
            "batches_annotatorflag",
            "batches_qualification",
        )
        for method, view in (("GET", "add"), ("GET", "delete"), ("POST", "change"))
    },
}
ADMIN_DEFAULT = ADMIN_REFUSED | {"staff": {200, 302}}


def _routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(key, path pattern) for every URL pattern, recursively; unnamed ones keyed by path."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from _routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield (name or route), route


def _expected(method: str, key: str, route: str) -> dict[str, set[int]] | None:
    found = EXPECTED.get(f"{method} {key}") or ADMIN_EXPECTED.get(f"{method} {key}")
    if found is None and route.startswith("admin/") and method == "GET":
        return ADMIN_DEFAULT
    return found


def test_every_route_is_in_the_table():
    keys = [key for key, route in _routes()]
    missing = [k for k, r in _routes() if _expected("GET", k, r) is None]
    stale = {k.split(" ", 1)[1] for k in EXPECTED} - set(keys)
    assert missing == [], "add these routes to EXPECTED"
    assert stale == set(), "these routes are gone: remove them from EXPECTED"


@pytest.fixture
def world(db):
    staff = UserFactory(username="boss", is_staff=True, is_superuser=True)
    a = UserFactory(username="ann")
    b = UserFactory(username="bob")
    batch = BatchFactory(created_by=staff, name="Shared batch")
    other_batch = BatchFactory(created_by=staff, name="Other batch")
    pair = dialogue_start(batch=batch, annotator=a, text=f"{SECRET} first")
    samples_finish(pair, (f"{SECRET} left", f"{SECRET} right"))
    dialogue_judge(
        pair=pair,
        annotator=a,
        chosen_side="left",
        strength="better",
        time_spent_ms=1000,
        left_is_safe=None,
        right_is_safe=None,
    )
    open_pair = dialogue_continue(dialogue=pair.dialogue, annotator=a, text=f"{SECRET} second")
    samples_finish(open_pair, (f"{SECRET} left 2", f"{SECRET} right 2"))
    Pair.objects.filter(pk=open_pair.pk).update(left_slot="a")
    for n in range(3):
        pool_pair_ready(batch, prompt=f"Pool prompt {n}")
    lease = lease_claim(batch=batch, annotator=a)
    study = study_create(
        name="Matrix study",
        kind="side_by_side",
        source_batch=batch,
        variants=[batch.sampling_a.variant, ModelVariantFactory(name="matrix-variant-2")],
        created_by=staff,
        raters=[a],
    )
    # Its card names the batch and counts its rows: only those who may read the batch see it.
    job = ExportJob.objects.create(
        created_by=staff, options={}, card={"counts": {"batch": {f"{SECRET} batch": 1}}}
    )
    job.covered_batches.create(batch_id=batch.pk)
    gone_batch = BatchFactory(created_by=staff, name="Deleted batch")
    keys = {
        "tok_full": api_token_create(user=staff, name="full", read_only=False)[1],
        "tok_other": api_token_create(
            user=staff, name="other", read_only=False, batch_ids=[other_batch.pk]
        )[1],
        "tok_gone": api_token_create(
            user=staff, name="gone", read_only=False, batch_ids=[gone_batch.pk]
        )[1],
        "tok_ro": api_token_create(user=a, name="ro", read_only=True)[1],
    }
    gone_batch.delete()
    # B is flagged on the batch (not paused): staff may lift it from the quality page.
    flag = annotator_flag_raise(
        batch=batch, annotator=b, reason="Rushed judgments", details={}, pauses_work=False
    )
    # A leaderboard run over the shared batch, queued (its page shows the progress).
    run = LeaderboardRun.objects.create(fingerprint="0" * 64, created_by=staff)
    run.batches.set([batch])
    return {
        "users": {"a": a, "b": b, "staff": staff},
        "tokens": keys,
        "values": {
            "batch_id": batch.pk,
            "dialogue_id": pair.dialogue_id,
            "pair_id": open_pair.pk,
            "job_id": job.pk,
            "upload_id": PoolUpload.objects.filter(batch=batch).first().pk,
            "lease_id": lease.pk,
            "flag_id": flag.pk,
            "study_id": study.pk,
            "run_id": run.pk,
            "content_type_id": ContentType.objects.get_for_model(Batch).pk,
            "app_label": "dialogues",
            "url": "no-such-page/",
        },
    }


def _object_id(route: str) -> str:
    """The pk of a real row of the admin model this route belongs to."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return "1"
    model = apps.get_model(match[1], match[2])
    row = model._default_manager.order_by("pk").first()
    return str(row.pk) if row else "1"


def _url(route: str, values: dict) -> str:
    def value(name: str) -> str:
        return _object_id(route) if name in ("object_id", "id") else str(values[name])

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m[1]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m[1]), path)
    return "/" + path.replace("^", "").replace("$", "")


POST_DATA = {
    "dialogues:start": {"text": "B's own prompt"},
    "dialogues:continue": {"text": "one more turn"},
    "dialogues:judge": {"chosen_side": "left", "strength": "better", "time_spent_ms": "900"},
    "exports:job-list": {"format": "trl"},
    "queue:lease": {
        "chosen_side": "right",
        "strength": "slightly_better",
        "time_spent_ms": "700",
        "idempotency_key": "matrix",
    },
    "queue:skip": {"reason": "not my language"},
    "queue:flag": {"reason": "broken"},
    "queue_api:submit": {
        "chosen_side": "left",
        "strength": "better",
        "time_spent_ms": "700",
        "idempotency_key": "matrix",
    },
    "queue_api:skip": {"reason": "not my language"},
    "queue_api:flag": {"reason": "harmful", "note": "see the second response"},
}


def _client(role: str, world) -> tuple[Client, str]:
    """A client that enforces CSRF, logged in as the role, and its CSRF token."""
    client = Client(enforce_csrf_checks=True)
    if role in world["users"]:
        client.force_login(world["users"][role])
    if role in world["tokens"]:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world['tokens'][role]}"
    client.get("/login/")
    return client, client.cookies["csrftoken"].value


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_every_route_gives_each_role_what_the_table_says(world):
    clients = {role: _client(role, world) for role in ROLES}
    checked, failures, seen_by = 0, [], set()
    for key, route in _routes():
        for method in ("GET", "POST"):
            expected = _expected(method, key, route)
            if expected is None:
                continue
            url = _url(route, world["values"])
            for role in ROLES:
                client, csrf = clients[role]
                cookies = copy.deepcopy(client.cookies)  # a logout must not end the role
                # Each request runs in a savepoint rolled back after it: the next one sees
                # the same data.
                with transaction.atomic():
                    if method == "GET":
                        response = client.get(url)
                    else:
                        data = POST_DATA.get(key, {}) | {"csrfmiddlewaretoken": csrf}
                        response = client.post(url, data, HTTP_X_CSRFTOKEN=csrf)
                    body = _body(response)
                    transaction.set_rollback(True)
                client.cookies = cookies
                checked += 1
                status = response.status_code
                if status >= 500 or status not in expected[role]:
                    failures.append(f"{method} {url} as {role}: {status}, want {expected[role]}")
                if SECRET.encode() in body:
                    seen_by.add(role)
                    if role not in MAY_SEE_SECRET:
                        failures.append(f"{method} {url} as {role}: shows A's text")
    print(f"authorization matrix: {checked} requests")
    assert "\n".join(failures) == ""
    # The text is on the pages of those who may see it, so its absence elsewhere means something.
    assert {"a", "staff", "tok_full"} <= seen_by


def test_it_refuses_a_form_post_without_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["a"])
    url = f"/pairs/{world['values']['pair_id']}/judge/"
    response = client.post(url, POST_DATA["dialogues:judge"])
    assert response.status_code == 403
    assert not Pair.objects.get(pk=world["values"]["pair_id"]).comparisons.exists()


def test_it_refuses_a_session_api_write_without_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["staff"])
    response = client.post("/api/exports/jobs/", {"format": "trl"})
    assert response.status_code == 403
    assert ExportJob.objects.count() == 1
