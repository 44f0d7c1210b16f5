"""The core every feature package builds on: the app, its clock, errors, files and the plumbing.

The app: `app` (`create_app` and the FEATURES each registering itself), `config`, `extensions` (db,
Socket.IO, Celery, the API), `schema` (refuses a database behind the code), `cli` and `supervise`
(`flask serve`), `health` (/healthz), `security` (headers, CSP, origins), `assets` (npm packages under
/vendor/), `i18n` (locale, time zone, filters), `demo` (the seeder registry). Rules every package
follows: `db` (the base model and constraint names), `transitions` (the one way to change a status),
`chronograph` (the timed steps each package declares, run by one locked task), `after_commit`
(follow-ups a service declares, run after the one commit), `errors` (domain errors with stable codes),
`auth` (default-deny, role decorators, tokens), `bounded` (ids and integers from outside). Values:
`clock` (the only authority on time; UTC stored, Beijing shown), `workdays` (working days and legal
periods), `money` (integer fen). Things: `files` (create once, safe names, downloads), `filestore` (each
package's area of the file store, uploads streamed and hashed), `pdf` (escaping in every PDF),
`secretbox` (secrets at rest), `links` (public links in messages), `words` (jieba segmentation shared by
the search indexes of products and notices). Real time: `rooms` (the Socket.IO
room base that live pages subclass: authenticate, authorise, presence, announce the new state), `messages`
(消息 to signed-in users on `/messages`), `tasks` (its Celery task), `socketio_queue` (the message
queue between processes). Other systems: `exchange` (signed messages from registered banks, issuers and
the finance intranet: keys, idempotency, replay refusal, the message log).
"""
