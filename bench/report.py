"""The markdown block that `python -m bench` writes into bench/RESULTS.md."""

from typing import Any


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _machine(machine: dict[str, Any], quick: bool) -> list[str]:
    libraries = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    load = " / ".join(f"{v:.2f}" for v in machine["load_at_start"])
    kind = "quick run (`--quick`)" if quick else "full run"
    return [
        f"Last {kind}: {machine['date']}, `.venv/bin/python -m bench`, on commit "
        f"{machine['code']}.",
        "",
        *_table(
            ["machine", ""],
            [
                ["CPUs (nproc)", f"{machine['nproc']} ({machine['affinity']} usable)"],
                ["CPU model", machine["cpu"]],
                ["memory", f"{machine['memory_gib']} GiB"],
                ["kernel", machine["kernel"]],
                ["Python", machine["python"]],
                ["PostgreSQL / SQLite", f"{machine['postgresql']} / {machine['sqlite']}"],
                ["load average at start (1/5/15 min)", load],
                ["libraries", libraries],
            ],
        ),
    ]


def _targets(run: dict[str, Any]) -> list[str]:
    rows = []
    for name, section in run.items():
        if "error" in section:
            rows.append([name, "(section failed)", section["error"], "**FAILED**"])
        for row in section["rows"]:
            verdict = {None: "reported", True: "met"}.get(row["met"], "**missed**")
            rows.append([name, row["target"], row["measured"], verdict])
    return _table(["section", "target", "measured (this run)", "verdict"], rows)


def _upload(result: dict[str, Any]) -> list[str]:
    rows = []
    for label, key in (("bare `/bench/discard`", "discard"), ("service endpoint", "service")):
        p = result[key]
        rows.append(
            [
                label,
                f"{p['uploads']} in {_f(p['wall_s'], 2)} s",
                _f(p["uploads_per_s"]),
                _f(p["mib_per_s"]),
                f"{_f(p['latency_ms']['p50'], 0)} / {_f(p['latency_ms']['p95'], 0)}",
                f"{_f(p['healthz_ms']['p50'])} / {_f(p['healthz_ms']['p99'])} "
                f"(n={p['healthz_ms']['n']})",
                f"{_f(p['idle_rss_mib'], 0)} → {_f(p['peak_rss_mib'], 0)} "
                f"({p['idle_processes']} → {p['peak_processes']} processes)",
                _f(p["rss_above_idle_per_upload_mib"]),
                _f(p["pss_above_idle_per_upload_mib"]),
                _f(p["server_rss_above_idle_per_upload_mib"]),
            ]
        )
    idle = result["healthz_idle_ms"]
    service = result["service"]
    return [
        f"{result['concurrency']} concurrent clients, {result['file_bytes']:,}-byte PDFs; ratio "
        f"service / bare = **{result['throughput_ratio']:.0%}**. /healthz with no load: p50 "
        f"{_f(idle['p50'])} ms, p99 {_f(idle['p99'])} ms. Cold server (before any upload): "
        f"{_f(result['cold_idle_rss_mib'], 0)} MiB RSS in {result['cold_idle_processes']} "
        f"processes; the idle figures below are after a warm-up round (two inspection helpers "
        f"running). Memory sampled every {_f(service['sample_interval_ms'])} ms "
        f"({service['samples']} samples in the service phase).",
        "",
        *_table(
            [
                "endpoint",
                "uploads",
                "uploads/s",
                "MiB/s",
                "latency p50 / p95 ms",
                "/healthz p50 / p99 ms",
                "RSS idle → peak MiB (tree)",
                "RSS above idle per upload MiB",
                "PSS above idle per upload MiB",
                "server process alone, per upload MiB",
            ],
            rows,
        ),
        "",
        "CPU per upload (ms), from /proc: the server process, the inspection helpers with the "
        "children they fork, the load generator, and the whole machine (PostgreSQL, the kernel "
        "and the bench's sampler make the rest):",
        "",
        *_table(
            ["endpoint", *result["service"]["cpu_ms_per_upload"]],
            [
                [label, *(_f(v) for v in result[key]["cpu_ms_per_upload"].values())]
                for label, key in (("bare", "discard"), ("service", "service"))
            ],
        ),
    ]


def _submit(result: dict[str, Any]) -> list[str]:
    rows = []
    for label, key in (("POST /requests/{id}/submit", "submit_ms"), ("GET /healthz", "healthz_ms")):
        s = result[key]
        rows.append([label, str(s["n"]), _f(s["p50"], 2), _f(s["p95"], 2), _f(s["p99"], 2)])
    return [
        f"One client, each submit preceded by a /healthz. Ratios: p50 "
        f"**{result['p50_ratio']:.1f}x**, p95 **{result['p95_ratio']:.1f}x**.",
        "",
        *_table(["request", "n", "p50 ms", "p95 ms", "p99 ms"], rows),
    ]


def _claims(result: dict[str, Any]) -> list[str]:
    pg, lite = result["postgresql"], result["sqlite"]
    rows = []
    keys = ["raw", "naive"] + [
        k for k in pg if k.startswith(("api_", "bare_")) and isinstance(pg[k], dict)
    ]
    for database, data, chosen in (
        ("PostgreSQL", pg, keys),
        ("SQLite", lite, ["service_1", "service_32", "naive"]),
    ):
        for key in chosen:
            r = data[key]
            latency = r.get("latency_ms")
            rows.append(
                [
                    database,
                    r["label"],
                    f"{r['claims']:,}",
                    f"{r['distinct']:,}",
                    f"{r['double_claims']:,}",
                    str(r.get("in_db", "")),
                    _f(r["claims_per_s"], 0),
                    f"{_f(latency['p50'])} / {_f(latency['p95'])}" if latency else "",
                ]
            )
    return [
        f"Each run drains {pg['cases']:,} submitted cases on PostgreSQL (from the same vacuumed "
        f"state) and {lite['cases']:,} on SQLite. API / bare endpoint: "
        f"**{pg['bare_ratio_w1']:.2f}** (1 worker), **{pg['bare_ratio_w2']:.2f}** (2 workers); "
        f"API / raw SQL: {pg['raw_ratio_w1']:.2f} and {pg['raw_ratio_w2']:.2f}; 16 clients / 1: "
        f"**{pg['scaling_w1']:.2f}x** and **{pg['scaling_w2']:.2f}x**. SQLite path: "
        "`app.queue.service.claim_next` + COMMIT, one session per thread, in one process, no HTTP.",
        "",
        *_table(
            [
                "database",
                "claimer",
                "claims",
                "distinct",
                "double claims",
                "claimed rows",
                "claims/s",
                "latency p50 / p95 ms",
            ],
            rows,
        ),
        "",
        "The service's claim on PostgreSQL once all but 10 cases are claimed "
        "(EXPLAIN ANALYZE, rolled back):",
        "",
        "```",
        pg["explain_late_claim"],
        "```",
    ]


def _listing(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    rows = []
    for key in ("postgresql", "sqlite"):
        data = result[key]
        for size, s in data["sizes"].items():
            page, bare = s["queue_page_ms"], s["bare_scan_ms"]
            rows.append(
                [
                    key,
                    f"{int(size):,}",
                    _f(s["seed_s"]),
                    f"{_f(page['p50'], 2)} / {_f(page['p95'], 2)}",
                    f"{_f(bare['p50'], 2)} / {_f(bare['p95'], 2)}",
                    f"{page['p95'] / bare['p95']:.2f}x",
                ]
            )
    lines += _table(
        [
            "database",
            "cases",
            "bulk insert s",
            "queue_page p50 / p95 ms",
            "bare index scan p50 / p95 ms",
            "page / bare (p95)",
        ],
        rows,
    )
    for key in ("postgresql", "sqlite"):
        largest = list(result[key]["sizes"])[-1]
        lines += [
            "",
            f"Page query plan on {key} at {int(largest):,} cases:",
            "",
            "```",
            result[key]["sizes"][largest]["plan"],
            "```",
        ]
    return lines


def _letters(result: dict[str, Any]) -> list[str]:
    rows = [
        [name, _f(ms, 2), f"{result['ratio_to_reportlab'][name]:.2f}x"]
        for name, ms in result["median_ms"].items()
    ]
    rows.append(["QR code alone (in every variant)", _f(result["qr_ms"], 2), ""])
    return [
        f"Warm median of {result['rounds']} renders of the same one-page French letter.",
        "",
        *_table(["renderer", "median ms", "/ reportlab"], rows),
    ]


def _uploads(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, label in (("w1", "`imwu serve`, 1 worker"), ("w2", "`imwu serve --workers 2`")):
        lines += ["", f"#### {label}", "", *_upload(result[key])]
    return lines


def _mixed(result: dict[str, Any]) -> list[str]:
    from bench.mixed import markdown

    return markdown(result)


def _reads(result: dict[str, Any]) -> list[str]:
    from bench.reads import markdown

    return markdown(result)


def _storage(result: dict[str, Any]) -> list[str]:
    from bench.storage import render as render_storage

    return render_storage(result)


SECTION_RENDERERS = {
    "upload": ("Upload: 4 MiB PDFs, 8 concurrent clients", _uploads),
    "mixed": ("Mixed writes on different cases, PostgreSQL", _mixed),
    "reads": ("An authenticated GET under load, SQLite", _reads),
    "submit": ("Submit with triage", _submit),
    "claims": ("Claims", _claims),
    "listing": ("Queue listing", _listing),
    "letters": ("Letters", _letters),
    "storage": ("Storage: uploads on S3 (moto) against the file store", _storage),
}


def render(machine: dict[str, Any], run: dict[str, Any], quick: bool) -> str:
    lines = [*_machine(machine, quick), "", "### Targets", "", *_targets(run)]
    for name, section in run.items():
        title, renderer = SECTION_RENDERERS[name]
        lines += ["", f"### {title}", "", f"Before it: {section['quiet'].text()}."]
        if "result" in section:
            lines += [f"Took {section['seconds']:.0f} s.", "", *renderer(section["result"])]
    return "\n".join(lines)
