"""The servers' lease stores read back as the same dicts: berthd's SQLite
database and dnsmasq's lease file."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def read_berthd_leases(db_path: Path | str) -> list:
    """Leases in berthd's SQLite database as dicts. The one place that knows
    the schema: adjust the query here when it changes."""
    uri = f"file:{db_path}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=5.0) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT bridge, ip, mac, client_id, hostname, state, expires_at FROM leases "
            "ORDER BY bridge, ip").fetchall()
    return [dict(r) for r in rows]


def read_dnsmasq_leases(path: Path | str) -> list:
    """dnsmasq's lease file (expiry mac ip hostname client-id) as the same dicts."""
    leases = []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return leases
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] == "duid":
            continue
        leases.append({"bridge": None, "ip": parts[2], "mac": parts[1].lower(),
                       "client_id": None if parts[4] == "*" else parts[4],
                       "hostname": None if parts[3] == "*" else parts[3], "state": "bound",
                       "expires_at": int(parts[0])})
    return leases
