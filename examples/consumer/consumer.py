"""An example downstream service: it keeps notes written by users, and follows tenantry's
lifecycle events from an SQS queue that an EventBridge rule on tenantry's bus feeds
(see docs/events.md, "Subscribing").

- user.deleted:  hide the user's notes (the user may come back);
- user.restored: show them again;
- user.purged:   erase them for good;
- any other type: ignored, so that new event types never break it.

Events arrive at least once and not always in order. It skips an event id it has handled
already, and an event whose data.version is not newer than the last one it applied for that
subject.

    python consumer.py --queue-url URL [--endpoint-url http://127.0.0.1:5000] [--db notes.db]
"""

import argparse
import json
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
                                  text TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS subject_versions (subject TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""


def open_db(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    return db


def handle(db, event):
    """Applies one CloudEvent (the EventBridge detail). Returns what it did, for the logs."""
    kind = event.get("type", "")
    data = event.get("data") or {}
    with db:  # one transaction: the effect and the dedup record land together
        if db.execute("SELECT 1 FROM seen_events WHERE id = ?", (event["id"],)).fetchone():
            return "duplicate"
        db.execute("INSERT INTO seen_events (id) VALUES (?)", (event["id"],))
        subject = f'{event.get("tenantid")}/{event.get("subject")}'
        version = data.get("version", 0)
        row = db.execute("SELECT version FROM subject_versions WHERE subject = ?", (subject,)).fetchone()
        if row and row[0] >= version:
            return "stale"
        db.execute(
            "INSERT INTO subject_versions (subject, version) VALUES (?, ?) "
            "ON CONFLICT (subject) DO UPDATE SET version = excluded.version",
            (subject, version),
        )
        where = ("user_id = ? AND tenant_id = ?", (data.get("user_id"), data.get("tenant_id")))
        if kind == "tenantry.user.deleted":
            db.execute(f"UPDATE notes SET hidden = 1 WHERE {where[0]}", where[1])
            return "hidden"
        if kind == "tenantry.user.restored":
            db.execute(f"UPDATE notes SET hidden = 0 WHERE {where[0]}", where[1])
            return "shown"
        if kind == "tenantry.user.purged":
            db.execute(f"DELETE FROM notes WHERE {where[0]}", where[1])
            return "erased"
        return "ignored"


def poll_once(db, sqs, queue_url, wait_seconds=1):
    """Receives one batch, handles it, deletes what was handled. Returns the outcomes."""
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
    outcomes = []
    for message in answer.get("Messages", []):
        envelope = json.loads(message["Body"])
        outcomes.append(handle(db, envelope["detail"]))
        # Deleted only once handled: a crash before this line means the message comes back,
        # and the seen_events table makes that harmless.
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return outcomes


def main():
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--db", default="notes.db")
    args = parser.parse_args()
    sqs = boto3.client("sqs", endpoint_url=args.endpoint_url, region_name=args.region)
    db = open_db(args.db)
    while True:
        for outcome in poll_once(db, sqs, args.queue_url, wait_seconds=20):
            print(outcome, flush=True)


if __name__ == "__main__":
    main()
