"""Attacks on the alert sinks, the config loader, the caches and state files, and the CLI
boundary (issue 14, items 6, 8, 9, 11, 12, 13): each test replays one attack against real
loopback servers and real ``mlmon`` processes, and shows what the attack now gets."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlmon.config import load_config
from mlmon.errors import ConfigError
from tests.conftest import BINARY_CONFIG, REPO, Project
from tests.integration.test_metrics import METRICS, _store

MLMON = str(Path(sys.executable).with_name("mlmon"))
WINDOW = ("--since", "2026-10-01", "--until", "2026-10-04", "--exit-zero")
RULES = "  rules: [{finding: threshold_breach, severity: critical}]\n"
SECRETS = ("alice", "S3CR3T", "XSECRETPATH", "QTOKEN", "PUSHPW", "PGSECRETPREFIX", "HDRSECRET")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FailingServer:
    """A loopback HTTP server that answers every request with 500 and records its headers."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.headers.append(dict(self.headers))
                body = f"no: {self.path}".encode()  # servers echo the path back
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TricklingServer:
    """A loopback server that answers every request with a status line and then one header
    byte every ``every`` seconds, for ``forever`` seconds: each read returns in time, so only
    a deadline over the whole request ends it."""

    def __init__(self, every: float = 0.3, forever: float = 30.0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.every, self.forever = every, forever
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                end = time.monotonic() + self.forever
                while time.monotonic() < end and not self.stop.is_set():
                    conn.sendall(b"a")
                    time.sleep(self.every)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _project(make_project: Callable[..., Project], sinks: str, rules: str = RULES) -> Project:
    alerts = f"alerts:\n  stale_after: 100000d\n{rules}  sinks: {sinks}\n"
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS + alerts
    project = make_project(text=text)
    _store(project, labelled_days=3, drop_after=2)  # roc_auc collapses: threshold_breach
    return project


def _mlmon(
    *args: str, cwd: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MLMON, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def _no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in: {text}"


# --- item 6: no secret in any sink message -------------------------------------------------


@pytest.fixture
def failing() -> Iterator[FailingServer]:
    server = FailingServer()
    yield server
    server.close()


def test_a_failing_webhook_prints_no_userinfo_path_query_or_header_secret(
    make_project: Callable[..., Project], failing: FailingServer
) -> None:
    url = f"http://alice:S3CR3T@127.0.0.1:{failing.port}/services/XSECRETPATH?token=QTOKEN"
    project = _project(
        make_project,
        f'[{{type: webhook, url: "{url}", retries: 1, backoff: 0.01, '
        "   headers: {X-Api-Key: HDRSECRET}}]",
    )
    result = project.cli("--json", "metrics", *WINDOW)
    assert result.code == 6, result.stderr
    assert json.loads(result.stdout)["status"] == "finding"
    assert f"(webhook http://127.0.0.1:{failing.port}/…): HTTP 500" in result.stderr
    _no_secret(result.stdout, result.stderr)
    # the userinfo became Basic auth instead of being sent as part of the host
    assert failing.headers[0]["Authorization"].startswith("Basic ")


def test_an_unreachable_webhook_with_secrets_in_its_url_prints_none_of_them(
    make_project: Callable[..., Project],
) -> None:
    url = f"http://alice:S3CR3T@127.0.0.1:{_port()}/hooks/XSECRETPATH?token=QTOKEN#QTOKEN"
    project = _project(make_project, f'[{{type: webhook, url: "{url}", retries: 0}}]')
    result = project.cli("--json", "metrics", *WINDOW)
    assert result.code == 6, result.stderr
    assert "cannot reach it" in result.stderr
    _no_secret(result.stdout, result.stderr)


def test_a_failing_pushgateway_prints_no_userinfo_or_path(
    make_project: Callable[..., Project], failing: FailingServer
) -> None:
    url = f"http://bob:PUSHPW@127.0.0.1:{failing.port}/PGSECRETPREFIX/gw?token=QTOKEN"
    project = _project(make_project, f'[{{type: pushgateway, url: "{url}", timeout: 2}}]')
    result = project.cli("--json", "metrics", *WINDOW)
    assert result.code == 6, result.stderr
    assert f"(pushgateway http://127.0.0.1:{failing.port}/…)" in result.stderr
    _no_secret(result.stdout, result.stderr)
    assert failing.headers[0]["Authorization"].startswith("Basic ")


def test_an_unreachable_pushgateway_with_secrets_in_its_url_prints_none_of_them(
    make_project: Callable[..., Project],
) -> None:
    url = f"http://bob:PUSHPW@127.0.0.1:{_port()}/PGSECRETPREFIX"
    project = _project(make_project, f'[{{type: pushgateway, url: "{url}", timeout: 2}}]')
    result = project.cli("--json", "metrics", *WINDOW)
    assert result.code == 6, result.stderr
    _no_secret(result.stdout, result.stderr)


def test_redaction_scrubs_every_secret_part_of_a_url_out_of_any_text() -> None:
    from mlmon.alerts.sinks import redact_url, scrub

    url = "https://alice:S3CR3T@hooks.example.com:8443/services/XSECRETPATH/x?token=QTOKEN&a=1"
    assert redact_url(url) == "https://hooks.example.com:8443/…"
    assert redact_url("http://127.0.0.1:9091") == "http://127.0.0.1:9091"
    text = (
        f"<urlopen error {url}> nonnumeric port: 'S3CR3T@hooks.example.com'; "
        "https%3A//alice:S3CR3T@x; /services/XSECRETPATH/x; token=QTOKEN"
    )
    _no_secret(scrub(text, url))
    # the public part (scheme, host, port) stays readable
    plain = "http://127.0.0.1:9091"
    message = f"(pushgateway {redact_url(plain)}): error talking to {plain}/metrics/job/mlmon"
    assert scrub(message, plain) == message
    with_user = "http://bob:PUSHPW@127.0.0.1:9091"
    assert scrub(f"(pushgateway {redact_url(with_user)}): at {with_user}/x", with_user) == (
        "(pushgateway http://127.0.0.1:9091): at …/x"
    )


# --- item 12: sinks that hang --------------------------------------------------------------


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    server = TricklingServer()
    yield server
    server.close()


def test_a_webhook_that_trickles_bytes_is_cut_off_at_its_total_timeout(
    make_project: Callable[..., Project], trickling: TricklingServer
) -> None:
    url = f"http://127.0.0.1:{trickling.port}/hook"
    project = _project(
        make_project, f'[{{type: webhook, url: "{url}", timeout: 1, retries: 1, backoff: 0.01}}]'
    )
    start = time.monotonic()
    result = project.cli("metrics", *WINDOW)
    elapsed = time.monotonic() - start
    assert result.code == 6, result.stderr
    assert "no answer within 1s" in result.stderr
    assert elapsed < 1 * 2 + 3 + 5  # the bound: timeout × attempts + the run itself


def test_a_pushgateway_that_trickles_bytes_is_cut_off_at_its_timeout(
    make_project: Callable[..., Project], trickling: TricklingServer
) -> None:
    url = f"http://127.0.0.1:{trickling.port}"
    project = _project(make_project, f'[{{type: pushgateway, url: "{url}", timeout: 1}}]')
    start = time.monotonic()
    result = project.cli("metrics", *WINDOW)
    assert result.code == 6, result.stderr
    assert (
        f"error: alerts.sinks[0] (pushgateway http://127.0.0.1:{trickling.port}): no answer "
        "within 1s\n" in result.stderr
    )
    assert time.monotonic() - start < 1 + 3 + 5


def test_a_jsonl_sink_that_is_a_fifo_is_refused_instead_of_hanging(
    make_project: Callable[..., Project],
) -> None:
    project = _project(make_project, "[{type: jsonl, path: alerts.jsonl}]")
    os.mkfifo(project.root / "alerts.jsonl")
    result = _mlmon(
        "-c", str(project.config_path), "metrics", *WINDOW, cwd=project.root, timeout=60
    )
    assert result.returncode == 6, result.stderr
    assert (
        f"error: alerts.sinks[0] (jsonl): {project.root / 'alerts.jsonl'} is not a regular "
        "file (a FIFO)" in result.stderr
    )


# --- item 9: config bombs and echoes -------------------------------------------------------


def _bomb(levels: int = 12, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top", "nested"])
def test_a_yaml_anchor_bomb_is_a_config_error_within_seconds(tmp_path: Path, where: str) -> None:
    bomb = _bomb()
    if where == "nested":  # under a real key, where the top-level check cannot catch it
        bomb = "schema:\n  metadata:\n    " + bomb.replace("\n", "\n    ").rstrip() + "\n"
    (tmp_path / "mlmon.yaml").write_text(bomb)
    assert len(bomb) < 8192
    start = time.monotonic()
    result = _mlmon("-c", "mlmon.yaml", "metrics", cwd=tmp_path, timeout=30)
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - start < 10
    assert result.stderr == (
        "error: mlmon.yaml: YAML aliases expand to more than 100,000 values; a config has no "
        "use for that many\nhint: write the values out, or use fewer aliases (*name)\n"
    )


def test_an_unknown_section_is_refused_before_any_substitution(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    path.write_text("colour: ${UNSET_VARIABLE_OF_MLMON}\nmodel: {name: '${ALSO_UNSET}'}\n")
    with pytest.raises(ConfigError, match=r"mlmon.yaml: colour: unknown key; allowed keys"):
        load_config(path)


def test_a_config_of_too_many_values_is_refused_without_blaming_aliases(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    path.write_text("schema: {metadata: [" + "1," * 200_000 + "1]}\n")
    with pytest.raises(ConfigError, match=r"mlmon.yaml: the YAML holds more than 100,000 values"):
        load_config(path)


def test_thousands_of_bad_values_list_twenty_problems_and_the_count(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    path.write_text(
        "model: {name: m, task: regression}\nstore: {path: s}\n"
        "schema: {id: i, timestamp: t, prediction: p, label: l, features: {numerical: x}, "
        "metadata: [" + "[1]," * 30_000 + "[1]]}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    lines = exc.value.message.splitlines()
    count = int(lines[0].rsplit(": ", 1)[-1].split()[0].replace(",", ""))
    assert count > 30_000
    assert lines[0].endswith(f"mlmon.yaml: {count:,} problems:")
    assert len(lines) == 22 and lines[-1] == f"  … and {count - 20:,} more"


def test_a_recursive_yaml_alias_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    path.write_text("schema: &s {features: *s}\n")
    with pytest.raises(ConfigError, match=r"a YAML alias \(\*name\) refers to a node that"):
        load_config(path)


def test_a_config_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    with open(path, "wb") as fh:
        fh.write(b"model: {name: x}\n")
        fh.truncate(100 * 1024 * 1024)
    with pytest.raises(ConfigError, match=r"mlmon.yaml: the file is 100.0 MiB; a config file"):
        load_config(path)


def test_a_huge_config_value_is_echoed_truncated(make_project: Callable[..., Project]) -> None:
    huge = "q" * 900_000
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid=huge)
    project = make_project(text=text)
    result = project.cli("metrics")
    assert result.code == 3
    assert "store.on_invalid: must be one of" in result.stderr
    assert "q" * 80 + "…" in result.stderr
    assert len(result.stderr) < 2000


def test_a_huge_unknown_key_and_env_reference_are_echoed_truncated(tmp_path: Path) -> None:
    path = tmp_path / "mlmon.yaml"
    path.write_text("model: {name: '${" + "Z" * 500_000 + "}'}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert len(exc.value.message) < 1000
    path.write_text("k" * 500_000 + ": 1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert len(exc.value.message) < 1000


# --- item 8: concurrent drift on an empty profile cache -------------------------------------

DRIFT = """\
drift:
  reference: {since: 2026-10-01, until: 2026-10-02}
  multivariate: {enabled: true, sample_rows: 300, folds: 2}
"""


@pytest.fixture
def dproject(make_project: Callable[..., Project]) -> Project:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + DRIFT
    project = make_project(text=text)
    _store(project, labelled_days=3)
    return project


def test_concurrent_drift_runs_on_an_empty_profile_cache_never_crash(
    make_project: Callable[..., Project],
) -> None:
    # a row sample large enough that writing it takes a while: the runs overlap there
    drift = DRIFT.replace("sample_rows: 300", "sample_rows: 20000")
    text = BINARY_CONFIG.format(batch_rows=100000, on_invalid="quarantine") + drift
    dproject = make_project(text=text)
    _store(dproject, per_day=20000, labelled_days=1)
    args = [
        "-c",
        str(dproject.config_path),
        "drift",
        "--since",
        "2026-10-03",
        "--until",
        "2026-10-04",
    ]
    cache = dproject.store / "_cache" / "profiles"
    for _ in range(2):
        if cache.exists():
            for f in cache.iterdir():
                f.unlink()
        procs = [
            subprocess.Popen(
                [MLMON, *args],
                cwd=dproject.root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        outcomes = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
        for code, err in outcomes:
            assert code in (0, 1), err
    assert not [f for f in cache.iterdir() if f.name.startswith(".tmp-")]


@pytest.mark.parametrize(
    "damage",
    ["[]", "null", '{"columns": 3}', "{", '{"sha256": "0", "profile": {"rows": "many"}}'],
)
def test_a_structurally_wrong_profile_cache_entry_is_rebuilt_with_a_note(
    dproject: Project, damage: str
) -> None:
    args = ("drift", "--since", "2026-10-03", "--until", "2026-10-04", "--exit-zero")
    first = dproject.cli(*args)
    assert first.code == 0, first.stderr
    cache = dproject.store / "_cache" / "profiles"
    (entry,) = cache.glob("*[0-9a-f].json")
    entry.write_text(damage)
    again = dproject.cli("--json", *args)
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["result"]["reference"]["profile_cached"] is False
    assert f"warning: rebuilt the damaged profile cache entry {entry} (" in again.stderr
    assert json.loads(entry.read_text())["sha256"]  # replaced by a whole entry
    third = dproject.cli("--json", *args)
    assert json.loads(third.stdout)["result"]["reference"]["profile_cached"] is True


def test_drift_goes_on_with_a_warning_when_the_profile_cache_cannot_be_written(
    dproject: Project,
) -> None:
    (dproject.store / "_cache").mkdir(parents=True, exist_ok=True)
    (dproject.store / "_cache" / "profiles").write_text("not a directory")
    result = dproject.cli("drift", "--since", "2026-10-03", "--until", "2026-10-04", "--exit-zero")
    assert result.code == 0, result.stderr
    assert "warning: cannot cache the reference profile in " in result.stderr


# --- item 11: structurally wrong state files ------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        "[]",
        "null",
        '{"format": 1, "alerts": []}',
        '{"format": 1, "alerts": {"k": "firing"}}',
        '{"format": 1, "alerts": {"k": {"status": 1}}}',
        '{"format": 1, "alerts": {}, "samples": {"metrics": [{"name": 1}]}}',
        '{"format": 1, "alerts": {}, "samples": []}',
    ],
)
def test_a_structurally_wrong_alert_state_is_a_sink_failure_naming_the_file(
    make_project: Callable[..., Project], damage: str
) -> None:
    project = _project(make_project, "[{type: jsonl, path: alerts.jsonl}]")
    state = project.store / "_state" / "alerts" / "loans.json"
    state.parent.mkdir(parents=True)
    state.write_text(damage)
    result = project.cli("--json", "metrics", *WINDOW)
    assert result.code == 6, result.stderr
    assert json.loads(result.stdout)["status"] == "finding"
    assert result.stderr.startswith(f"error: alerts: {state}: ")
    assert "(delete the file: alerts start afresh" in result.stderr


CONCEPT = """\
drift:
  reference: {since: 2026-10-01, until: 2026-10-02}
  multivariate: {enabled: false}
  concept: {detectors: {ddm: {warm_start: 30}}}
"""


@pytest.mark.parametrize(
    "damage",
    [
        "[]",
        "null",
        '{"format": 2, "params": {"warm_start": 30}, "detector": [], "high_water": 5}',
        '{"format": 2, "params": {"warm_start": 30}, "detector": {}, "high_water": "x",'
        ' "change_points": {}, "open": null, "since_reset": "a"}',
    ],
)
def test_a_structurally_wrong_concept_state_exits_4_naming_the_file_and_the_reset(
    make_project: Callable[..., Project], damage: str
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + CONCEPT
    project = make_project(text=text)
    _store(project, labelled_days=3)
    args = ("drift", "--until", "latest", "--since", "1d", "--exit-zero")
    first = project.cli(*args)
    assert first.code in (0, 7), first.stderr
    (path,) = (project.store / "_state" / "concept" / "loans").glob("*/ddm.json")
    path.write_text(damage)
    result = project.cli(*args)
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {path}: ")
    assert "hint: run mlmon drift --reset-concept-state" in result.stderr
    reset = project.cli(*args, "--reset-concept-state")
    assert reset.code in (0, 7), reset.stderr


def test_an_unwritable_concept_state_exits_4_naming_the_path(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + CONCEPT
    project = make_project(text=text)
    _store(project, labelled_days=3)
    (project.store / "_state").mkdir(parents=True, exist_ok=True)
    (project.store / "_state" / "concept").write_text("a file where a directory should be")
    result = project.cli("drift", "--until", "latest", "--since", "1d", "--exit-zero")
    assert result.code == 4, result.stderr
    path = project.store / "_state" / "concept" / "loans" / "unversioned" / "ddm.json"
    assert result.stderr.startswith(
        f"error: cannot write the concept-drift state {path}: Not a directory\n"
        "hint: make the store's _state directory writable"
    )


# --- item 13: interrupts ------------------------------------------------------------------


def _interrupt(
    args: list[str],
    after: float,
    sig: int = signal.SIGINT,
    cwd: Path = REPO,
    wait_for: Callable[[], bool] | None = None,
    handlers: bool = False,
) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        [MLMON, *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait_for is not None:
        deadline = time.monotonic() + 60
        while not wait_for() and time.monotonic() < deadline:
            time.sleep(0.05)
    if handlers:
        deadline = time.monotonic() + 60
        while not _catches(proc.pid, signal.SIGTERM) and time.monotonic() < deadline:
            time.sleep(0.005)
    time.sleep(after)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def _catches(pid: int, sig: int) -> bool:
    """Has process ``pid`` installed a handler for ``sig`` (its SigCgt mask in /proc)?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(
        (line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0"
    )
    return bool(int(mask, 16) >> (sig - 1) & 1)


@pytest.mark.parametrize("after", [0.0, 0.05, 0.15])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_during_start_up_exits_130_with_the_error_envelope(
    project: Project, after: float, sig: int
) -> None:
    # From the moment mlmon.cli.main has installed its handlers (the first thing it does),
    # the signal lands while typer, rich and pydantic are imported (a third of a second),
    # or, on a fast machine, at the latest while `ingest -` waits for stdin. (Before that,
    # in the interpreter's own start-up, Python's defaults apply: the README says so.)
    code, out, err = _interrupt(
        ["--json", "-c", str(project.config_path), "ingest", "-"],
        after,
        sig,
        cwd=project.root,
        handlers=True,
    )
    assert code == 130, err
    assert "Traceback" not in err
    assert err.endswith("error: interrupted\n")
    document = json.loads(out)
    assert document["status"] == "error" and document["error"]["type"] == "interrupted"
    assert document["command"] == "ingest"


def test_an_interrupt_while_ingesting_stdin_exits_130_with_the_error_envelope(
    project: Project,
) -> None:
    code, out, err = _interrupt(
        ["-c", str(project.config_path), "--json", "ingest", "-"], 2.5, cwd=project.root
    )
    assert code == 130, err
    assert "Traceback" not in err
    assert err.endswith("error: interrupted\n")
    assert json.loads(out)["error"] == {
        "type": "interrupted",
        "message": "interrupted",
        "hint": None,
    }


def test_an_interrupt_while_a_sink_hangs_exits_130_after_the_one_result_document(
    make_project: Callable[..., Project], trickling: TricklingServer
) -> None:
    url = f"http://127.0.0.1:{trickling.port}/hook"
    project = _project(make_project, f'[{{type: webhook, url: "{url}", timeout: 60}}]')
    lock = project.store / "_state" / "alerts" / "loans.lock"
    code, out, err = _interrupt(
        ["-c", str(project.config_path), "--json", "metrics", *WINDOW],
        0.5,
        signal.SIGTERM,
        cwd=project.root,
        wait_for=lock.exists,
    )
    assert code == 130, err
    assert "Traceback" not in err
    assert err.endswith("error: interrupted\n")
    assert json.loads(out)["status"] == "finding"  # one document: the result


@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_stdout_or_stderr_keeps_the_exit_code_and_prints_no_traceback(
    tmp_path: Path, closed: int
) -> None:
    def close() -> None:
        os.close(closed)

    for args, expected in ((["--version"], 0), (["-c", "missing.yaml", "metrics"], 3)):
        result = subprocess.run(
            [MLMON, *args], cwd=tmp_path, capture_output=True, text=True, preexec_fn=close
        )
        assert result.returncode == expected, result.stderr
        assert "Traceback" not in result.stderr


def _read_only(store: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``mlmon *args`` with ``store`` mounted read-only, in a mount namespace of its own
    (root ignores file modes: only a read-only mount shows what a read-only store does)."""
    script = (
        f'mount --bind "{store}" "{store}" && mount -o remount,ro,bind "{store}" "{store}" '
        f'&& exec "{MLMON}" "$@"'
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def can_mount(tmp_path: Path) -> None:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'mount --bind "{tmp_path}" "{tmp_path}"'],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("needs mount namespaces (unshare -m) to make a read-only store")


@pytest.mark.usefixtures("can_mount")
def test_drift_on_a_read_only_store_warns_about_the_cache_and_exits_4_for_the_state(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + CONCEPT
    project = make_project(text=text)
    _store(project, labelled_days=3)
    config = ("-c", str(project.config_path))
    # an explicit range is stateless: only the profile cache is written, and it is optional
    ranged = _read_only(
        project.store,
        *config,
        "drift",
        "--since",
        "2026-10-03",
        "--until",
        "2026-10-04",
        "--exit-zero",
        cwd=project.root,
    )
    assert ranged.returncode == 0, ranged.stderr
    assert (
        f"warning: cannot cache the reference profile in {project.store / '_cache' / 'profiles'}"
        " (Read-only file system)" in ranged.stderr
    )
    # a cron run continues the detectors' stream, which it must save
    cron = _read_only(
        project.store, *config, "drift", "--until", "latest", "--exit-zero", cwd=project.root
    )
    assert cron.returncode == 4, cron.stderr
    path = project.store / "_state" / "concept" / "loans" / "unversioned" / "ddm.json"
    assert f"error: cannot write the concept-drift state {path}: Read-only file system" in (
        cron.stderr
    )


def test_a_fifo_in_place_of_the_alert_state_is_a_sink_failure_not_a_hang(
    make_project: Callable[..., Project],
) -> None:
    project = _project(make_project, "[{type: jsonl, path: alerts.jsonl}]")
    state = project.store / "_state" / "alerts" / "loans.json"
    state.parent.mkdir(parents=True)
    os.mkfifo(state)
    result = _mlmon("-c", str(project.config_path), "metrics", *WINDOW, cwd=project.root)
    assert result.returncode == 6, result.stderr
    assert (
        f"error: alerts: {state}: unreadable alert state (a FIFO, not a regular file) (delete "
        "the file: alerts start afresh" in result.stderr
    )


def test_a_fifo_in_place_of_the_concept_state_or_a_cache_entry_hangs_nothing(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + CONCEPT
    project = make_project(text=text)
    _store(project, labelled_days=3)
    args = ("-c", str(project.config_path), "drift", "--until", "latest", "--exit-zero")
    first = _mlmon(*args, cwd=project.root)
    assert first.returncode in (0, 7), first.stderr
    (entry,) = (project.store / "_cache" / "profiles").glob("*[0-9a-f].json")
    entry.unlink()
    os.mkfifo(entry)
    rebuilt = _mlmon(*args, cwd=project.root)
    assert rebuilt.returncode in (0, 7), rebuilt.stderr
    assert (
        f"warning: rebuilt the damaged profile cache entry {entry} (OSError: [Errno 22] a FIFO, "
        "not a regular file" in rebuilt.stderr
    )
    (state,) = (project.store / "_state" / "concept" / "loans").glob("*/ddm.json")
    state.unlink()
    os.mkfifo(state)
    result = _mlmon(*args, cwd=project.root)
    assert result.returncode == 4, result.stderr
    assert result.stderr == (
        f"error: {state}: unreadable concept-drift state (a FIFO, not a regular file)\n"
        "hint: run mlmon drift --reset-concept-state to start the stream afresh\n"
    )


@pytest.mark.usefixtures("can_mount")
def test_metrics_on_a_read_only_store_skips_the_calibration_cache(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS
    )
    _store(project, labelled_days=3)
    result = _read_only(
        project.store,
        "-c",
        str(project.config_path),
        "--json",
        "metrics",
        *WINDOW,
        cwd=project.root,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] in ("ok", "finding")


@pytest.mark.parametrize("damage", ["[]", "null", '{"kind": 1}', "FIFO"])
def test_a_damaged_calibration_cache_entry_is_refitted(
    make_project: Callable[..., Project], damage: str
) -> None:
    project = make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS
    )
    _store(project, labelled_days=3)
    first = project.cli("--json", "metrics", *WINDOW)
    assert first.code == 0, first.stderr
    (entry,) = (project.store / "_cache" / "calibrations").glob("*.json")
    entry.unlink()
    if damage == "FIFO":
        os.mkfifo(entry)
    else:
        entry.write_text(damage)
    again = _mlmon("-c", str(project.config_path), "--json", "metrics", *WINDOW, cwd=project.root)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["result"] == json.loads(first.stdout)["result"]
