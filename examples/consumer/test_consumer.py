"""The example consumer, against moto's SQS in process: `make test` runs it
(`python -m unittest discover examples/consumer`)."""

import json
import os
import unittest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

import consumer  # noqa: E402


def event(id_, kind, user, version):
    return {
        "specversion": "1.0", "id": id_, "source": "urn:tenantry:test", "type": f"tenantry.{kind}",
        "time": "2026-12-03T10:00:00.000Z", "subject": user, "tenantid": "acme",
        "datacontenttype": "application/json",
        "data": {"tenant_id": "acme", "actor_id": "admin", "user_id": user, "version": version},
    }


def envelope(detail):
    return json.dumps({"version": "0", "id": "x", "detail-type": detail["type"][len("tenantry."):],
                       "source": "tenantry", "detail": detail})


class ConsumerTest(unittest.TestCase):
    def setUp(self):
        self.db = consumer.open_db(":memory:")
        with self.db:
            self.db.executemany("INSERT INTO notes (user_id, tenant_id, text) VALUES (?, 'acme', ?)",
                                [("ben", "hello"), ("ben", "again"), ("ada", "hi")])

    def notes(self):
        return self.db.execute("SELECT user_id, text, hidden FROM notes ORDER BY user_id, text").fetchall()

    def test_a_deletion_hides_a_restore_shows_a_purge_erases(self):
        self.assertEqual(consumer.handle(self.db, event("e1", "user.deleted", "ben", 3)), "hidden")
        self.assertEqual(self.notes(), [("ada", "hi", 0), ("ben", "again", 1), ("ben", "hello", 1)])
        self.assertEqual(consumer.handle(self.db, event("e2", "user.restored", "ben", 4)), "shown")
        self.assertEqual(self.notes(), [("ada", "hi", 0), ("ben", "again", 0), ("ben", "hello", 0)])
        consumer.handle(self.db, event("e3", "user.deleted", "ben", 5))
        self.assertEqual(consumer.handle(self.db, event("e4", "user.purged", "ben", 6)), "erased")
        self.assertEqual(self.notes(), [("ada", "hi", 0)])

    def test_duplicates_stale_events_and_unknown_types_change_nothing(self):
        consumer.handle(self.db, event("e1", "user.deleted", "ben", 3))
        self.assertEqual(consumer.handle(self.db, event("e1", "user.deleted", "ben", 3)), "duplicate")
        # A restore that was overtaken by the deletion after it.
        consumer.handle(self.db, event("e3", "user.deleted", "ben", 5))
        self.assertEqual(consumer.handle(self.db, event("e2", "user.restored", "ben", 4)), "stale")
        self.assertEqual([n[2] for n in self.notes() if n[0] == "ben"], [1, 1])
        self.assertEqual(consumer.handle(self.db, event("e9", "user.teleported", "ada", 9)), "ignored")
        self.assertEqual(consumer.handle(self.db, event("e10", "tenant.updated", "acme", 2)), "ignored")
        self.assertEqual([n[2] for n in self.notes() if n[0] == "ada"], [0])

    @mock_aws
    def test_it_reads_the_queue_an_eventbridge_rule_feeds_and_deletes_what_it_handled(self):
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="notes-user-events")["QueueUrl"]
        for detail in [event("e1", "user.deleted", "ben", 3), event("e1", "user.deleted", "ben", 3),
                       event("e2", "user.purged", "ben", 4)]:
            sqs.send_message(QueueUrl=url, MessageBody=envelope(detail))
        outcomes = []
        for _ in range(3):
            outcomes += consumer.poll_once(self.db, sqs, url, wait_seconds=0)
        self.assertEqual(sorted(outcomes), ["duplicate", "erased", "hidden"])
        self.assertEqual(self.notes(), [("ada", "hi", 0)])
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(left["Attributes"]["ApproximateNumberOfMessages"], "0")


if __name__ == "__main__":
    unittest.main()
