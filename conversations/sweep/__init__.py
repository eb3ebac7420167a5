"""The sweep: the programme's rhythm turned into due outbox rows. THE place the rules live.

``conversations.sweep.orchestration.sweep(session, now, retention_days=…)`` says everything one
sweep does, one module per concern: ``reads`` (with ``storage.sweep_reads``), ``meetings``,
``closing``, ``booking``, ``supervisor``, ``alerts`` (early warnings), ``hr_queue`` (HR's
follow-ups), ``hr_digest``, and
``plan``/``rows`` (timing, dedupe, one insert). It reads a fixed number of result sets per
chunk of ``reads.CHUNK_PAIRS`` pairs (never one query per pair; statements built once, at
import), decides in Python which nudges are due, renders each in the recipient's language and
timezone, and writes them with ``INSERT … ON CONFLICT DO NOTHING``, a page of rows at a time.
Every rule of a pair needs that pair's own rows only, so its pairs are read and decided a
chunk at a time and the sweep's memory does not grow with the number of pairs; the rules over
many pairs (HR's digest, the supervisors' summaries) gather what they need as chunks pass.
Each nudge has a dedupe key, unique in the outbox, so a second sweep — or a sweep in another
process at the same moment — creates nothing twice. On PostgreSQL the sweep also holds a
transaction-level advisory lock, so only one process sweeps at a time; the others skip that
round.

Working time: 9–17, Monday–Friday in the *recipient's* timezone, minus the public holidays of
the programme's ``holiday_country`` (``holidays`` package, ``FI`` by default). A nudge whose
nominal moment falls outside working time is queued for the next working moment
(``conversations.worktime.next_working_moment``).

Each nudge: kind, dedupe key, recipients — nominal moment (recipient's time) — what happens
when the moment has passed.

- ``reminder`` ``reminder:<meeting>.<sequence>:<person>``, both parties, with the open
  intermediate task and the suggested agenda — 09:00 on the working day before the meeting —
  sent until the meeting starts (``expires_at`` = meeting start), never after it.
- ``checkin`` ``checkin:<meeting>:<person>``, both, unless already checked in — meeting end +
  2 h — still sent when late, up to ``GRACE`` after the moment; expires then.
- ``task_reminder`` ``task:<meeting>:<actor>``, the actor, only with an open intermediate task —
  halfway to the next meeting (none after the pair's last meeting) — up to ``GRACE`` late;
  expires at the next meeting.
- ``reflect`` ``reflect:<mentorship>:<n>:<person>``, both (``n`` = the meeting before) —
  halfway to the next meeting (none after the last) — as ``task``.
- ``interim`` ``interim:<mentorship>:<person>``, both, phase development, unless already
  evaluated — 09:00 the day after the middle meeting (meeting ⌈total/2⌉) — up to ``GRACE``
  late.
- ``closing`` ``closing:<mentorship>:<person>``, both, unless already evaluated — 09:00 two
  weeks before the planned end — sent until the planned end.
- ``plan`` ``plan:<mentorship>:<person>``, both, phase development with nothing booked —
  09:00 two days after the agreement was accepted by both — up to ``GRACE`` late.
- ``block`` ``block:<mentorship>:<first seq>:<person>``, both — when the last booked meeting is
  less than ``BOOK_AHEAD`` (28 days) away the sweep books the next block up to the booking
  horizon (3 or 6 months, never past the planned end) and tells both.
- ``supervisor.monthly`` ``supervisor.monthly:<supervisor>:<YYYY-MM>``, progress only (privacy
  rule 2) — 09:00 on the first working day of the month — up to ``GRACE`` late, else skipped.
- ``hr.digest`` ``hr.digest:<hr person>:<ISO week>``, aggregates only (privacy rule 3) and the
  number of open follow-ups — 09:00 on the first working day of the ISO week — sent during that
  week only.
- ``hr.queue`` ``hr.queue:<item>:<hr person>``, each HR person, once per new follow-up in HR's
  queue (``hr_queue``) — at the next working moment; when one sweep opens more than three,
  one message counting them instead, ``hr.queue.new:<newest item>:<hr person>``; ``hr.queue.told``
  ``hr.queue.told:<item>:<person>`` tells the person who asked for a new round or a new mentor,
  or both partners whose continuation plans differ, that HR has it.

The supervisor kick-off (``kickoff:<mentorship>``) is queued when the agreement is accepted
(``conversations.flows.supervisor``); the sweep never creates it. The same sweep also raises
early warnings (``alerts``), sends HR's invitations and workshop reminders
(``conversations.outreach``) and applies the content retention
(``conversations.hr_admin.purge_closed_content``).

Send time: every nudge above is checked again when the delivery worker is about to send it
(``conversations.sweep.recheck``): one whose question was answered meanwhile (checked in,
evaluated, meetings booked), whose meeting moved or was cancelled, whose task was done, or whose
relationship ended is cancelled instead of sent; the supervisor's summary is rendered again
from the state at that moment. ``block`` expires at the first meeting of the new block.

Catch-up after downtime: the sweep only creates nudges whose nominal moment is at most
``GRACE`` (4 days) ago (reminders: only before the meeting; closing: only before the end), so
a clock that was down for three days catches up with the nudges that still make sense, each
once, and drops the rest instead of sending a burst of stale messages.
"""
