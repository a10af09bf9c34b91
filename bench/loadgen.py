"""The load generator: locust (library API, headless) in a process of its own, no Django here.

Reads a JSON spec on stdin, prints one JSON object on its last line. Modes: `ratio` (every user
runs one scenario at a time, in interleaved slices; rates and workers' CPU per slice), `pdf`
(one user alternates three PDFs) and `reviewers` (each user completes an assessment as a browser
would; with `retry` until saved, printing an `ACK` line per acknowledged save).
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.log import setup_logging
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ANSWER_SETS, STEP, STEPS, cpu_seconds  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')  # the wizard's optimistic lock
STEP_TITLE = re.compile(r"Step (\d+) of (\d+):")
CREATED = re.compile(r"^/assessments/(\d+)/step/1/$")
QUESTION = re.compile(r'<div id="q-([\w-]+)" class="question[^"]*"(?: data-show-if="([^"]*)")?')
RADIO = re.compile(r'<input\b[^>]*\btype="radio"[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"')
# What the app says when it could not save; the 503 page outside the wizard says "Try again".
TOLD = ("Not saved, try again", "Try again in a moment", 'id="stale-warning"', "nothing was saved")
SPEC: dict = {}
STATE = {"scenario": "idle", "ready": 0, "inflight": 0, "acked": 0, "finished": 0}
GO = Event()
OK, ERRORS, TIMES = Counter(), Counter(), defaultdict(list)
RESULTS: list[dict] = []
USERS: list = []


@events.request.add_listener
def _count(name, response_time, exception, **_):
    TIMES[name].append(response_time / 1000)
    (ERRORS if exception else OK)[name] += 1


class Browser(FastHttpUser):
    """One signed-in browser (or API script); what it does depends on the spec's mode."""

    wait_time = constant(0)
    network_timeout = connection_timeout = 15.0

    def call(self, name: str, path: str, form: dict | None = None, expect=None):
        """One request; `expect(response)` says whether it was the expected answer."""
        headers = {"Accept-Encoding": "identity", **self.auth}
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        method, body = ("GET", None) if form is None else ("POST", urlencode(form))
        STATE["inflight"] += 1
        try:
            with self.client.request(
                method, path, data=body, name=name, headers=headers,
                allow_redirects=False, catch_response=True,
            ) as response:  # fmt: skip
                response.location = (response.headers or {}).get("Location", "")
                kind = (response.headers or {}).get("Content-Type", "")
                response.page = response.text or "" if "pdf" not in kind else ""
                if expect and not expect(response):
                    response.failure(f"HTTP {response.status_code} {response.location!r}")
                else:
                    response.success()
                return response
        finally:
            STATE["inflight"] -= 1

    def on_start(self) -> None:
        self.auth, self.account = {}, SPEC["accounts"][len(USERS)]
        self.error, self.number, self.worked = "", len(USERS) + 1, False
        USERS.append(self)
        try:
            if "token" in self.account:
                token = self.account["token"]
                self.auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            else:
                self.sign_in()
            if SPEC["mode"] == "ratio" and "wizard" in self.account:
                self.step = f"/assessments/{self.account['wizard']}/step/{STEP}/"
                page = self.call("sign-in", self.step).page
                self.token, self.version = CSRF.search(page)[1], int(VERSION.search(page)[1])
                self.posts = self.saves = 0
        finally:
            STATE["ready"] += 1  # a failed sign-in too: its errors are counted

    def sign_in(self) -> None:
        page = self.call("sign-in", "/accounts/login/").page
        token = CSRF.search(page)
        form = {
            "csrfmiddlewaretoken": token[1] if token else "",
            "username": self.account["username"],
            "password": SPEC["password"],
        }
        done = self.call("sign-in", "/accounts/login/", form)
        if done.status_code != 302:
            self.error = f"sign-in of {self.account['username']}: HTTP {done.status_code}"

    @task
    def work(self) -> None:
        if SPEC["mode"] == "ratio":
            return SCENARIOS[STATE["scenario"]](self)
        if self.worked:  # once per user: then idle until the run ends
            return gevent.sleep(1)
        self.worked = True
        GO.wait()
        return download_pdfs(self) if SPEC["mode"] == "pdf" else Reviewer(self).complete()


# --- ratio scenarios: one request each --------------------------------------------------


def wizard_post(u: Browser) -> None:
    answers = ANSWER_SETS[u.posts % len(ANSWER_SETS)]
    u.posts += 1
    form = {"csrfmiddlewaretoken": u.token, "version": u.version, "next": "1"}
    for key, (choice, text, link) in answers.items():
        form.update({key: choice, f"{key}-note": text, f"{key}-evidence": link})
    nxt = f"/assessments/{u.account['wizard']}/step/{STEP + 1}/"
    done = u.call("c", u.step, form, lambda r: r.status_code == 302 and r.location == nxt)
    if done.status_code == 302 and done.location == nxt:
        u.version += 1
    elif VERSION.search(done.page):  # e.g. a refused stale save: resume from the page's
        u.version = int(VERSION.search(done.page)[1])


def save_post(u: Browser) -> None:
    u.saves += 1
    form = {
        "csrfmiddlewaretoken": u.token,
        "assessment": u.account["baseline"],
        "note": f"save {u.saves}",
    }
    u.call("d", "/bench/save/", form, lambda r: r.location == "/bench/minimal/")


def api_result(response) -> bool:
    return response.status_code == 200 and response.page.startswith('{"name"')


def api_minimal(response) -> bool:
    return response.status_code == 200 and response.page == '{"ok":true}'


SCENARIOS = {
    "idle": lambda u: gevent.sleep(0.05),
    "a": lambda u: u.call("a", u.step, expect=lambda r: r.status_code == 200),
    "b": lambda u: u.call("b", "/bench/minimal/", expect=lambda r: r.status_code == 200),
    "c": wizard_post,
    "d": save_post,
    "result": lambda u: u.call(
        "result", f"/api/v1/assessments/{u.account['assessment']}/result/", expect=api_result
    ),
    "minimal": lambda u: u.call("minimal", "/bench/api/minimal/", expect=api_minimal),
}


def drive_ratio() -> dict:
    """Every scenario in interleaved slices, as the module docstring says."""
    keys = SPEC["scenarios"]
    rates, cpu, done = defaultdict(list), Counter(), Counter()
    for key in keys:
        STATE["scenario"] = key
        gevent.sleep(SPEC["warmup"])
    for cycle in range(SPEC["cycles"]):
        turn = cycle % len(keys)
        for key in keys[turn:] + keys[:turn]:
            STATE["scenario"] = key
            gevent.sleep(SPEC["settle"])
            ok, errors, spent = OK[key], ERRORS[key], cpu_seconds(SPEC["workers"])
            gevent.sleep(SPEC["slice"])
            rates[key].append((OK[key] - ok) / SPEC["slice"])
            cpu[key] += cpu_seconds(SPEC["workers"]) - spent
            done[key] += OK[key] - ok + ERRORS[key] - errors
    STATE["scenario"] = "idle"
    posts = {u.account["wizard"]: u.posts for u in USERS if hasattr(u, "posts")}
    return {
        "rates": rates,
        "errors": {k: ERRORS[k] for k in keys},
        "posts": posts,
        "cpu": {k: cpu[k] / max(done[k], 1) for k in keys},
    }


# --- the PDF downloads ------------------------------------------------------------------


def download_pdfs(user: Browser) -> None:
    pdf = lambda r: r.status_code == 200 and r.content.startswith(b"%PDF")  # noqa: E731
    fresh, stored = (f"/assessments/{SPEC[k]}/report.pdf" for k in ("fresh", "approved"))
    reader = PdfReader(io.BytesIO(user.call("warm-up", fresh, expect=pdf).content))
    text = "\n\n".join(page.extract_text() for page in reader.pages)
    Path(SPEC["plain_text"]).write_text(text, encoding="utf-8")
    plain = PdfReader(io.BytesIO(user.call("warm-up", "/bench/plain.pdf", expect=pdf).content))
    cpu = defaultdict(list)
    for _ in range(SPEC["runs"]):
        for name, path in (("fresh", fresh), ("plain", "/bench/plain.pdf"), ("stored", stored)):
            spent = cpu_seconds(SPEC["workers"])
            user.call(name, path, expect=pdf)
            cpu[name].append(cpu_seconds(SPEC["workers"]) - spent)
    pages, words = len(reader.pages), len(text.split())
    RESULTS.append({"pages": pages, "plain_pages": len(plain.pages), "words": words, "cpu": cpu})


# --- the reviewers ----------------------------------------------------------------------


def holds(condition: dict, chosen: dict[str, str], on_page: set[str]) -> bool | None:
    """`static/js/wizard.js`'s rule: None when it depends on a question not on this step."""
    if "all" in condition or "any" in condition:
        results = [holds(c, chosen, on_page) for c in condition.get("all") or condition["any"]]
        if None in results:
            return None
        return all(results) if "all" in condition else any(results)
    if condition["question"] not in on_page:
        return None
    if condition["question"] not in chosen:
        return False
    listed = chosen[condition["question"]] in (condition.get("in") or condition.get("not_in"))
    return listed if "in" in condition else not listed


class Reviewer:
    """One reviewer completing one assessment; what it sent, what was acknowledged."""

    def __init__(self, user: Browser):
        self.user, self.number = user, user.number
        self.record = {
            "username": user.account["username"],
            "assessment": 0,
            "first": 0,
            "saves": 0,
            "sent": {},
            "acked": {},
            "told": Counter(),
            "untold": [],
            "log": [],
            "error": user.error,
            "finished": False,
        }
        RESULTS.append(self.record)

    def answers(self, step: int, page: str) -> dict[str, list[str]]:
        """Every question a browser shows (follow-ups only when their condition holds, as
        wizard.js hides them otherwise), each with a note; choices rotate with the reviewer."""
        blocks = list(QUESTION.finditer(page))
        questions = []
        for i, block in enumerate(blocks):
            end = blocks[i + 1].start() if i + 1 < len(blocks) else len(page)
            choices = [
                html.unescape(v)
                for n, v in RADIO.findall(page, block.end(), end)
                if html.unescape(n) == block[1]
            ]
            shown_if = json.loads(html.unescape(block[2])) if block[2] else None
            questions.append((block[1], choices, shown_if))
        on_page = {key for key, _, _ in questions}
        wanted = {
            key: choices[(self.number + step + i) % len(choices)]
            for i, (key, choices, _) in enumerate(questions)
            if choices
        }
        chosen = {key: wanted[key] for key, _, shown_if in questions if not shown_if}
        changed = True
        while changed:  # follow-ups of follow-ups: until nothing more becomes visible
            changed = False
            for key, _, shown_if in questions:
                if shown_if and key not in chosen and holds(shown_if, chosen, on_page) is not False:
                    chosen[key], changed = wanted[key], True
        run = SPEC["run_id"]
        return {
            k: [c, f"Reviewer {self.number}, step {step}: “{c}” — run {run}."]
            for k, c in chosen.items()
        }

    def call(self, name: str, path: str, form=None, expect=None):
        self.record["log"].append([time.time(), True])
        response = self.user.call(name, path, form, expect)
        if expect and not expect(response):
            self.failed(name, response)
            return None
        return response

    def failed(self, what: str, response) -> None:
        """Record a failed request: how it told its client, or that it did not."""
        self.record["log"][-1][1] = False
        status, page = response.status_code, response.page
        if not SPEC["retry"]:
            self.record["error"] = self.record["error"] or f"{what}: HTTP {status}"
        elif status == 0:
            self.record["told"]["no response (connection dropped)"] += 1
        elif status == 503 and 'id="wizard-form"' in page and TOLD[0] in page:
            self.record["told"]["503 step page saying not saved, try again (answers kept)"] += 1
        elif status == 503 and any(text in page for text in TOLD):
            self.record["told"]["503 page saying not saved or try again"] += 1
        elif status >= 400:
            self.record["told"][f"HTTP {status}"] += 1
        elif status == 200 and any(text in page for text in TOLD):
            self.record["told"]["200 page saying not saved"] += 1
        else:
            self.record["untold"].append(f"{what}: HTTP {status} {response.location!r}")

    def persist(self, attempt) -> str | None:
        """attempt() until it returns the next path; once only unless the spec says retry."""
        while not self.record["error"] and time.time() < SPEC["deadline"]:
            found = attempt()
            if found is not None or not SPEC["retry"]:
                return found
            gevent.sleep(SPEC["retry_pause"])
        self.record["error"] = self.record["error"] or "out of time"
        return None

    def create(self) -> str | None:
        page = self.call("new GET", "/assessments/new/", expect=lambda r: CSRF.search(r.page))
        if page is None:
            return None
        form = {
            "csrfmiddlewaretoken": CSRF.search(page.page)[1],
            "system": "Okta",
            "name": f"Leaver deprovisioning {self.number} ({SPEC['run_id']})",
            "description": "Disable the accounts of leavers in the IdP and close their tickets.",
            "business_owner": "IAM operations",
        }
        done = self.call(
            "create POST", "/assessments/new/", form, lambda r: CREATED.match(r.location)
        )
        if done is None:
            return None
        self.record["assessment"] = int(CREATED.match(done.location)[1])
        return done.location

    def save_step(self, path: str, step: int) -> str | None:
        """Open the step, post its answers: the next page's path once the save is acknowledged."""
        title = f"Step {step} of {STEPS}:"
        opened = self.call(
            "step GET",
            path,
            expect=lambda r: (
                r.status_code == 200
                and CSRF.search(r.page)
                and VERSION.search(r.page)
                and title in r.page
            ),
        )
        if opened is None:
            return None
        version = int(VERSION.search(opened.page)[1])
        if step == 1:
            self.record["first"] = version
        elif not SPEC["retry"] and version != self.record["first"] + self.record["saves"]:
            self.record["error"] = f"step {step} opened at version {version}"  # only it writes
            return None
        answers = self.answers(step, opened.page)
        last = step == STEPS
        form = {
            "csrfmiddlewaretoken": CSRF.search(opened.page)[1],
            "version": version,
            "finish" if last else "next": "1",
        }
        for key, (choice, text) in answers.items():
            form.update({key: choice, f"{key}-note": text})
        self.record["sent"].update(answers)  # posted, whatever comes back: saved must match
        pk = self.record["assessment"]
        nxt = f"/assessments/{pk}/report/" if last else f"/assessments/{pk}/step/{step + 1}/"
        if self.call("step POST", path, form, lambda r: r.location == nxt) is None:
            return None
        self.record["acked"].update(answers)
        self.record["saves"] += 1
        STATE["acked"] += 1
        print("ACK", STATE["acked"], flush=True)
        return nxt

    def open_report(self, path: str) -> str | None:
        done = self.call("report GET", path, expect=lambda r: r.status_code == 200)
        return None if done is None else path

    def complete(self) -> None:
        path = self.persist(self.create)
        for step in range(1, STEPS + 1):
            path = path and self.persist(lambda s=step, p=path: self.save_step(p, s))
        if path and self.persist(lambda: self.open_report(path)):
            self.record["finished"] = True
        STATE["finished"] += 1


def main() -> None:
    SPEC.update(json.load(sys.stdin))
    setup_logging("WARNING")  # to stderr: a task's exception is shown
    env = Environment(user_classes=[Browser], host=SPEC["host"], events=events)
    runner = env.create_local_runner()
    users = len(SPEC["accounts"])
    runner.start(users, spawn_rate=users)
    deadline = time.time() + 60
    while STATE["ready"] < users:  # every user signed in (a failed sign-in counts too)
        if time.time() > deadline:
            raise SystemExit("the users were not all signed in within 60 s")
        gevent.sleep(0.05)
    began = time.perf_counter()
    result = drive_ratio() if SPEC["mode"] == "ratio" else {}
    GO.set()
    waiting = {"pdf": lambda: not RESULTS, "reviewers": lambda: STATE["finished"] < users}
    while waiting.get(SPEC["mode"], bool)() and time.time() < SPEC.get("deadline", 0) + 20:
        gevent.sleep(0.05)
    duration = time.perf_counter() - began
    while STATE["inflight"]:  # let the requests in flight finish: every one is counted
        gevent.sleep(0.05)
    runner.quit()
    report = {"results": RESULTS, "times": TIMES, "duration": duration, "errors_by_name": ERRORS}
    print(json.dumps({**result, **report}))


if __name__ == "__main__":
    main()
