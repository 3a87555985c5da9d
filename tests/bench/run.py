"""Benchmark: the bot against the floor, on loopback, with the same load.

    .venv/bin/python tests/bench/run.py                # 3 rounds x 10 s: SQLite, PostgreSQL, SQLite uncached
    .venv/bin/python tests/bench/run.py --rounds 5 --duration 15 --stores sqlite

Starts, each in its own process: a stand-in connector, the floor (aiohttp reads the activity and posts
one reply to the connector over one shared ClientSession), and one bot per store (``app.py`` with
DATABASE_URL set to a fresh SQLite file or a fresh PostgreSQL database). Then, round by round, drives
the floor and each bot in turn with wrk (32 connections, the same Lua script, each request a new
message activity in one of 64 conversations per wrk thread) so that machine noise hits all of them.
``bot-sqlite-nocache`` runs with LOOKUP_CACHE_SIZE=0, so every turn computes the answer again.
``bot-sqlite-mix`` and ``bot-sqlite-mix-nocache`` (not run by default; ``--stores ...,sqlite-mix``) send
the 50 different questions of ``questions.txt`` (budget, facts, contacts, out of scope) in turn instead of
one, with and without the cache.
Prints turns/s, p50/p99 per run, the medians, and the ratios bot/floor. Also prints the bot's time
from start to ready, its resident memory after the load, and the recognizer's time per utterance over
the dev questions. Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and, for the PostgreSQL bot,
the server at 127.0.0.1:5432 (user postgres, trust).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PY = sys.executable
QUESTION = "hvad betaler Hjørring til Børnehus Nord i 2021?"
EXPECT = "489.473"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "kkr_bench"
PORTS = {"connector": 4202, "floor": 4200, "bot-sqlite": 4201, "bot-postgres": 4203, "bot-sqlite-nocache": 4204,
         "bot-sqlite-mix": 4205, "bot-sqlite-mix-nocache": 4206}
MIX = HERE / "questions.txt"


@dataclass
class Run:
    target: str
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    replies: int
    load: str
    cpu_ms: float = 0.0  # CPU time the server process used per turn during the run (load-independent-ish)


@dataclass
class Target:
    name: str
    port: int
    proc: subprocess.Popen
    ready_s: float
    runs: list[Run] = field(default_factory=list)
    ready_cpu_s: float = 0.0  # CPU seconds the process had used when it first answered (load-independent)
    questions_file: str = ""  # wrk sends these questions in turn (the mixed workload)


def get_json(url: str, timeout: float = 2.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
        return json.loads(resp.read())


def wait_ready(port: int, proc: subprocess.Popen, limit: float = 60.0) -> float:
    """Seconds from now until GET /healthz answers 200 (the caller started the clock at spawn)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process on port {port} exited with {proc.returncode}")
        try:
            get_json(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return time.monotonic()
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"nothing answered on port {port} within {limit} s")


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen, float]:
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, started


def post_activity(port: int, text: str, service_url: str, conversation: str) -> int:
    body = {
        "type": "message", "id": f"check-{time.time_ns()}", "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": "29:check", "name": "Check", "aadObjectId": "check"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "t-bench"},
        "recipient": {"id": "28:bot", "name": "KKR bot"}, "text": text, "locale": "da-DK",
        "channelData": {"tenant": {"id": "t-bench"}},
    }
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback only
        return resp.status


def reply_text(activity: dict | None) -> str:
    if not activity:
        return ""
    parts = [activity.get("text") or ""]
    for att in activity.get("attachments") or []:
        parts.append(json.dumps(att.get("content"), ensure_ascii=False))
    return "\n".join(parts)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def wrk(port: int, question: str, service_url: str, seconds: float, connections: int, threads: int,
        questions_file: str = "") -> dict:
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(HERE / "post.lua"), f"http://127.0.0.1:{port}",
            "--", json.dumps(question)[1:-1], service_url, "64", questions_file]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stderr.strip()} {done.stdout.strip()}")
    out = done.stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}


def measure(target: Target, args: argparse.Namespace, service_url: str, connector_url: str) -> Run:
    wrk(target.port, args.question, service_url, args.warmup, args.connections, args.threads, target.questions_file)
    before = get_json(f"{connector_url}/stats")["replies"]
    load = loadavg()
    cpu_before = cpu_seconds(target.proc.pid)
    r = wrk(target.port, args.question, service_url, args.duration, args.connections, args.threads,
            target.questions_file)
    cpu_used = cpu_seconds(target.proc.pid) - cpu_before
    replies = get_json(f"{connector_url}/stats")["replies"] - before
    errors = r["status_errors"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    return Run(target.name, r["requests"] / (r["duration_us"] / 1e6), r["p50_us"] / 1000, r["p99_us"] / 1000,
               r["requests"], errors, replies, load, 1000 * cpu_used / max(1, r["requests"]))


async def reset_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{PG_DB}"')
    finally:
        await conn.close()


RECOGNITION = r"""
import json, statistics, sys, time, yaml
from bot.settings import Settings
from bot.recognizer import Recognizer
items = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
utterances = []
for item in items:
    locale = "en-US" if item.get("lang") == "en" else "da-DK"
    for text in [*(item.get("context") or []), item["question"]]:
        utterances.append((text, locale))
utterances += [("hjælp", "da-DK"), ("help", "en-US"), ("annuller", "da-DK"), ("cancel", "en-US")]
started = time.perf_counter()
recognizer = Recognizer(Settings().knowledge_dir / "sentences")
load_s = time.perf_counter() - started
for text, locale in utterances:  # warm-up: first calls compile regexes
    recognizer.recognize(text, locale)
times, cpu = [], []
for _ in range(int(sys.argv[2])):
    for text, locale in utterances:
        getattr(recognizer, "_free_text", {}).clear()  # measure hassil, not the repeated-question memory
        c0, t0 = time.thread_time(), time.perf_counter()
        recognizer.recognize(text, locale)
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
times.sort()
cpu.sort()
intents = sorted({i for lang in recognizer.intents.values() for i in lang.intents})
print(json.dumps({"utterances": len(utterances), "calls": len(times), "mean_us": statistics.fmean(times) * 1e6,
                  "p50_us": times[len(times) // 2] * 1e6, "p99_us": times[int(len(times) * 0.99)] * 1e6,
                  "max_us": times[-1] * 1e6, "cpu_mean_us": statistics.fmean(cpu) * 1e6,
                  "cpu_p99_us": cpu[int(len(cpu) * 0.99)] * 1e6, "intents": len(intents), "load_s": load_s}))
"""


def mix_questions() -> list[str]:
    return [line.strip() for line in MIX.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def mix_file(tmp: Path) -> str:
    """questions.txt as wrk's Lua script reads it: one JSON-escaped question per line."""
    path = tmp / "questions.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False)[1:-1] + "\n" for q in mix_questions()), encoding="utf-8")
    return str(path)


def recognition(repeat: int) -> dict:
    out = subprocess.run([PY, "-c", RECOGNITION, str(ROOT.parent / "shared" / "eval" / "dev.yaml"), str(repeat)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--stores", default="sqlite,postgres,sqlite-nocache",
                        help="bots to run: sqlite, postgres, sqlite-nocache (LOOKUP_CACHE_SIZE=0), sqlite-mix, "
                             "sqlite-mix-nocache (the questions of questions.txt in turn)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--expect", default=EXPECT, help="text the bot's reply to the question must contain")
    parser.add_argument("--recognition-repeat", type=int, default=20)
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="kkr-bench-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO")}
    env.pop("MicrosoftAppId", None)
    # The bot refuses to start on PostgreSQL without report master keys: a throwaway one for the run.
    env.setdefault("REPORT_MASTER_KEYS", "bench:" + base64.b64encode(os.urandom(32)).decode())
    procs: list[subprocess.Popen] = []
    connector_url = f"http://127.0.0.1:{PORTS['connector']}"
    service_url = connector_url + "/"
    print(f"# kkr-bot benchmark  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  "
          f"cores={os.cpu_count()}  load={loadavg()}  git={_git_rev()}")
    print(f"# question={args.question!r}  connections={args.connections}  wrk threads={args.threads}  "
          f"rounds={args.rounds} x {args.duration:g} s (+{args.warmup:g} s warm-up)")
    try:
        proc, started = spawn("connector", [PY, str(HERE / "connector.py"), str(PORTS["connector"])], env, tmp)
        procs.append(proc)
        _wait_port(PORTS["connector"], proc, "/stats")
        proc, started = spawn("floor", [PY, str(HERE / "floor.py"), str(PORTS["floor"])], env, tmp)
        procs.append(proc)
        targets = [Target("floor", PORTS["floor"], proc, wait_ready(PORTS["floor"], proc) - started)]
        for store in [s.strip() for s in args.stores.split(",") if s.strip()]:
            name = f"bot-{store}"
            extra = {}
            if store.startswith("sqlite-mix"):
                url = f"sqlite+aiosqlite:///{tmp / (store + '.db')}"
                extra = {"LOOKUP_CACHE_SIZE": "0"} if store.endswith("nocache") else {}
            elif store == "sqlite-nocache":  # every question computed again: the answerers' real cost
                url, extra = f"sqlite+aiosqlite:///{tmp / 'bench-nocache.db'}", {"LOOKUP_CACHE_SIZE": "0"}
            elif store == "sqlite":
                url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
            elif store == "postgres":
                asyncio.run(reset_pg_database())
                url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
            else:
                raise SystemExit(f"unknown store {store}")
            bot_env = {**env, "PORT": str(PORTS[name]), "DATABASE_URL": url, "RUN_WORKER_IN_PROCESS": "0", **extra}
            proc, started = spawn(name, [PY, "app.py"], bot_env, tmp)
            procs.append(proc)
            targets.append(Target(name, PORTS[name], proc, wait_ready(PORTS[name], proc) - started,
                                  ready_cpu_s=cpu_seconds(proc.pid),
                                  questions_file=mix_file(tmp) if store.startswith("sqlite-mix") else ""))

        for target in targets:  # every target answers the question correctly before we time it
            post_activity(target.port, args.question, service_url, f"check-{target.name}")
            text = reply_text(get_json(f"{connector_url}/stats")["last"])
            if target.name != "floor" and args.expect and args.expect not in text:
                raise SystemExit(f"{target.name} answered without {args.expect!r}: {text[:300]!r}")
            print(f"# {target.name}: ready {target.ready_s:.2f} s after start ({target.ready_cpu_s:.2f} s CPU); "
                  f"reply: {text[:90]!r}")

        print(f"{'run':<5} {'target':<18} {'turns/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'requests':>8} "
              f"{'errors':>6} {'replies':>7} {'CPU ms/turn':>11}  load")
        for rnd in range(1, args.rounds + 1):
            for target in targets:
                run = measure(target, args, service_url, connector_url)
                target.runs.append(run)
                print(f"{rnd:<5} {run.target:<18} {run.turns_per_s:8.0f} {run.p50_ms:7.2f} {run.p99_ms:7.2f} "
                      f"{run.requests:8d} {run.errors:6d} {run.replies:7d} {run.cpu_ms:11.3f}  {run.load}", flush=True)

        floor = targets[0]
        f_tps = statistics.median(r.turns_per_s for r in floor.runs)
        f_p99 = statistics.median(r.p99_ms for r in floor.runs)
        print()
        f_cpu = statistics.median(r.cpu_ms for r in floor.runs)
        print(f"{'median':<19} {'turns/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'x floor tput':>12} {'x floor p99':>11} "
              f"{'CPU ms/turn':>11} {'floor/bot CPU':>13}")
        for target in targets:
            tps = statistics.median(r.turns_per_s for r in target.runs)
            p50 = statistics.median(r.p50_ms for r in target.runs)
            p99 = statistics.median(r.p99_ms for r in target.runs)
            cpu = statistics.median(r.cpu_ms for r in target.runs)
            print(f"{target.name:<19} {tps:8.0f} {p50:7.2f} {p99:7.2f} {tps / f_tps:12.2f} {p99 / f_p99:11.2f} "
                  f"{cpu:11.3f} {f_cpu / cpu if cpu else 0:13.2f}")
        print()
        for target in targets[1:]:
            ratios = [b.turns_per_s / f.turns_per_s for b, f in zip(target.runs, floor.runs, strict=True)]
            rss, hwm = rss_mb(target.proc.pid)
            print(f"# {target.name}: throughput ratio per round {', '.join(f'{r:.2f}' for r in ratios)}; "
                  f"ready in {target.ready_s:.2f} s ({target.ready_cpu_s:.2f} s CPU); "
                  f"RSS after load {rss:.0f} MB (peak {hwm:.0f} MB)")
        if args.recognition_repeat:
            rec = recognition(args.recognition_repeat)
            print(f"# recognition: {rec['utterances']} dev utterances x {args.recognition_repeat}, "
                  f"{rec['intents']} intents (da+en): mean {rec['mean_us']:.0f} us, p50 {rec['p50_us']:.0f} us, "
                  f"p99 {rec['p99_us']:.0f} us, max {rec['max_us']:.0f} us; CPU time mean {rec['cpu_mean_us']:.0f} us, "
                  f"p99 {rec['cpu_p99_us']:.0f} us; sentences loaded in {rec['load_s']:.2f} s")
        print(f"# load at end: {loadavg()}")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep_logs:
            print(f"# logs in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _wait_port(port: int, proc: subprocess.Popen, path: str) -> None:
    for _ in range(1000):
        if proc.poll() is not None:
            raise SystemExit(f"process on port {port} exited with {proc.returncode}")
        try:
            get_json(f"http://127.0.0.1:{port}{path}", timeout=0.5)
            return
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"nothing answered on port {port}")


def _git_rev() -> str:
    if (ROOT / ".rev").exists():  # a snapshot made with git archive
        return (ROOT / ".rev").read_text().strip()
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
