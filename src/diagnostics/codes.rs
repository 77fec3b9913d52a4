//! The registry of diagnostic codes. Codes are stable: never renumber, only add.
//! `docs/diagnostics.md` is generated from this table (a test keeps them in sync).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    /// kebab-case name, e.g. `unknown-stage`
    pub name: &'static str,
    pub severity: Severity,
    /// one line, lowercase
    pub summary: &'static str,
    /// the text `cadence explain` prints: why it matters and how to fix it, with an example
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($id:ident $sev:ident $name:literal $summary:literal $explanation:literal;)*) => {
        $(pub static $id: CodeInfo = CodeInfo {
            code: stringify!($id),
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            explanation: $explanation,
        };)*
        /// Every code, in order.
        pub static ALL: &[&CodeInfo] = &[$(&$id),*];
    };
}

/// The table of docs/diagnostics.md, generated so the docs never drift from the code.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostics\n\nEvery finding of `cadence check` has a stable code. `E` codes are errors (exit 1),\n\
         `W` codes are warnings (exit 0 unless `--deny-warnings`); E0001 and E0005, problems with the\n\
         paths themselves, exit 2. `cadence explain CODE` prints the full text of one code offline;\n\
         `cadence explain all` lists them. Lines and columns are 1-based and count characters in\n\
         every output format.\n\n\
         This file is generated from `src/diagnostics/codes.rs` by `UPDATE_DOCS=1 cargo test --test cases docs`.\n\n\
         | code | name | severity | meaning |\n|---|---|---|---|\n",
    );
    for c in ALL {
        let sev = match c.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            c.code,
            c.name,
            sev,
            c.summary.replace('|', "\\|")
        ));
    }
    out.push_str("\n## Explanations\n");
    for c in ALL {
        out.push_str(&format!(
            "\n### {} `{}`\n\n{}\n",
            c.code, c.name, c.explanation
        ));
    }
    out.push_str(JSON_SHAPE);
    out
}

const JSON_SHAPE: &str = r#"
## JSON output

`cadence check --format json` (or `CADENCE_FORMAT=json`) prints one JSON document on stdout and
nothing else there:

```json
{
  "format_version": 1,
  "compiler_version": "0.1.0",
  "diagnostics": [
    {
      "code": "E0204",
      "name": "unknown-stage",
      "severity": "error",
      "message": "unknown stage `qualifed`",
      "label": "not declared in pipeline `sales`",
      "help": "did you mean `qualified`?",
      "notes": [],
      "span": { "file": "sales.cadence", "line": 17, "column": 13, "end_line": 17,
                "end_column": 21, "start_byte": 301, "end_byte": 309 },
      "related": [ { "label": "first declared", "span": { "...": "same shape" } } ]
    }
  ],
  "summary": { "files": 1, "errors": 1, "warnings": 0 }
}
```

Lines and columns are 1-based; columns count Unicode characters; `end_*` point just past the
span. `format_version` changes only when this shape changes incompatibly.
"#;

pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim().to_ascii_uppercase();
    ALL.iter().copied().find(|c| c.code == code)
}

codes! {
// ───── input ─────
E0001 Error "unreadable-path" "a path cannot be read"
"The file or folder named on the command line does not exist or cannot be read.
Check the path and its permissions. A folder is read as one project: every `.cadence`
file below it is loaded.";
E0002 Error "file-too-large" "a file is larger than the 4 MiB limit"
"cadence files are small text files (a large project is a few hundred kilobytes).
A file above 4 MiB is almost certainly not a cadence file, so it is refused before
parsing. Split a genuinely large project into several files.";
E0003 Error "binary-file" "a file is not UTF-8 text"
"The file contains bytes that are not UTF-8 text, or control characters such as NUL.
cadence files are UTF-8 text; check that the path points at the file you meant.";
E0004 Error "nesting-too-deep" "brackets are nested too deeply"
"Parentheses and braces may nest at most 64 deep. Deeper nesting is refused before
parsing. Split a complicated condition into simpler exits.";
E0005 Error "no-cadence-files" "a folder holds no `.cadence` files"
"`cadence check DIR` loads every `.cadence` file below DIR. This folder has none,
so there is nothing to check. Point the command at the project folder. Like a path that
cannot be read, this is a usage problem: the command exits 2 and counts no files.";
E0006 Error "empty-file" "a file declares nothing"
"The file is empty or holds only comments. Every `.cadence` file of a project declares at
least one calendar, pipeline, cadence, leads model, simulation or test; an empty file is
usually a mistake (a failed save, a wrong path). Delete it or add the declaration.";

// ───── syntax ─────
E0100 Error "internal-parser-error" "the parser met an unexpected tree shape"
"This is a bug in cadence, not in your file. Please report it with the file that
triggers it.";
E0101 Error "syntax-error" "the text does not follow the grammar"
"The parser expected something else at the underlined place; the label names what
it expected. Common causes: a missing `{` or `}`, a misspelt keyword, a duration
without a unit (`after 3` instead of `after 3d`). After a syntax error the parser
goes on at the next line that starts a declaration (`calendar`, `pipeline`, `cadence`,
`leads`, `simulation`, `test`) in column 1, so each broken block is reported; a file with
syntax errors is not checked further until they are fixed.

    step call_1 call after 4 business hours   # right
    step call_1 call after 4                  # wrong: a unit is missing";
E0102 Error "unterminated-string" "a string has no closing quote"
"Strings are written in double quotes and end on the same line: `title \"Welcome\"`.
Add the closing `\"`. A quote inside a string is written `\\\"`.";
E0103 Error "number-out-of-range" "a number is too large"
"Numbers must be below 10^15 (whole numbers such as `seed` must fit in 64 bits).
Such numbers are almost always a typo.";
E0104 Error "invalid-literal" "a date or clock time does not exist"
"Dates are written `YYYY-MM-DD` and must exist (`2026-02-30` does not); clock times
are `HH:MM` from `00:00` to `23:59`, and `24:00` may end a range of hours.";
E0105 Error "invalid-escape" "a string contains an unknown escape"
"Inside strings, `\\\"`, `\\\\`, `\\n` and `\\t` are the only escapes.";

// ───── names ─────
E0201 Error "duplicate-name" "a name is declared twice"
"All files of a project share one namespace per kind (calendars, pipelines, cadences,
leads, simulations, tests), and names inside a declaration (stages, steps, tracks,
facts, events, roles, variants, segments) must be unique there. Both places are shown.
Rename one of them.";
E0202 Error "unknown-calendar" "a calendar is not declared"
"`calendar NAME` must name a `calendar` declared in one of the project's files.";
E0203 Error "unknown-pipeline" "a pipeline is not declared"
"`pipeline NAME` in a cadence must name a `pipeline` declared in the project.";
E0204 Error "unknown-stage" "a stage is not declared in the pipeline"
"Exit targets, `stage` effects, milestones, expectations and `no_backward except`
must name a stage of the pipeline in question.";
E0205 Error "unknown-step" "a step or track is not declared in the cadence"
"A jump (`-> call_1`), a `respond step`, a test's `when STEP.OUTCOME` or `expect path`
must name a step of the cadence.";
E0206 Error "unknown-fact" "a fact is not declared"
"Conditions, `require`, lead models and tests may use only facts declared in the
pipeline's `facts { ... }` block, and the built-ins `dwell`, `idle`, `age`, `touches`.";
E0207 Error "unknown-event" "an event is not declared"
"`set EVENT`, `require EVENT`, milestones and cadence exits must name an event declared
with `events ...` in the pipeline (or, for cadence exits, a built-in event: `reply`,
`bounce`, `unsubscribe`, `meeting_booked`, `stage_change`).";
E0208 Error "unknown-role" "a role is not declared"
"`assign ROLE`, `escalate ROLE` and `task ... assign ROLE` must name a role declared with
`roles ...` in the pipeline. A cadence with no pipeline may use the role `owner`.";
E0209 Error "unknown-cadence" "a cadence is not declared"
"`cadence NAME` in a simulation or test must name a cadence of the project.";
E0210 Error "unknown-leads" "a lead model is not declared"
"`leads NAME` in a simulation must name a `leads` block of the project.";
E0211 Error "unknown-channel" "a step uses an unknown channel"
"The channels are `email`, `call`, `sms`, `whatsapp`, `linkedin`, `meeting` and `task`.";
E0212 Error "impossible-outcome" "an outcome that the channel cannot have"
"Each channel has a closed set of outcomes:
  email: delivered opened clicked replied bounced unsubscribed
  call: connected voicemail no_answer bad_number
  sms, whatsapp: delivered replied failed opted_out
  linkedin: accepted replied
  meeting: booked held no_show cancelled
  task: completed skipped
`on opened` under a `call` step can never fire.";
E0213 Error "unknown-weekday" "a weekday name is not known"
"Weekdays are `mon tue wed thu fri sat sun`; ranges are written `mon..fri`.";
E0214 Error "unknown-timezone" "a time zone is not an IANA name"
"Time zones are IANA names such as `Asia/Shanghai`, `Europe/Berlin` or `UTC`.";
E0215 Error "unknown-type" "a fact type is not known"
"Fact types are `money`, `bool`, `duration`, `score` (a number in 0..1), `number`,
`percent` and `text`.";
E0216 Error "unknown-distribution" "a distribution or its parameter is not known"
"Distributions are `uniform(a, b)`, `normal(mean, sd)`, `lognormal(median X, p90 Y)` or
`lognormal(mu, sigma)`, `gamma(mean X, shape K)`, `exponential(mean X)`,
`weibull(scale X, shape K)`, `beta(a, b)`, `choice(\"a\" 30%, \"b\" 70%)`, or a literal.";
E0217 Error "unknown-trigger" "a cadence exit listens for an unknown event"
"`exit REASON on EVENT` listens for `reply`, `bounce`, `unsubscribe`, `meeting_booked`,
`stage_change` or an event declared by the cadence's pipeline.";
E0218 Error "unknown-setting-value" "a setting has a value outside its closed set"
"Some settings take one of a few words: `priority high|medium|low`,
`outcome won|lost`, `arrivals N per day|week|month`.";
E0219 Error "duplicate-setting" "a setting is given twice"
"A setting such as `timezone`, `title`, a step's timing or template may be given once
per block. Remove one of them.";
E0220 Error "missing-setting" "a required setting is missing"
"Some blocks need a setting: a calendar needs `timezone`, `workdays` and `hours`;
a simulation needs `leads` and `cadence` or `pipeline`; a test needs `cadence`; a pipeline needs
stages.";
E0221 Error "unknown-target" "a `target` line names no CRM the build knows"
"`target` names the CRMs a cadence is meant to run in: `zoho`, `salesloft` and `hubspot`, or
`none` alone (the cadence runs in no CRM: it is kept for simulation and what-ifs). At the top
level of a file the line is the project's, for every cadence without a line of its own; one such
line per project. `cadence check` reports what each named CRM cannot run (E0901); `cadence build
--target T` builds only the cadences meant for T and lists the others in SETUP.md.";

// ───── types ─────
E0301 Error "type-mismatch" "the two sides of a comparison have different types"
"Conditions are typed: money compares with money (`amount > 1m CNY`), durations with
durations (`dwell > 7d`), scores with numbers in 0..1, text with strings. Comparing a
duration fact with money, or a number with a duration, is an error.";
E0302 Error "not-a-condition" "a condition is not true or false"
"A bare operand in a condition must be a `bool` fact or an event (`demo_held`).
A money or duration fact must be compared: `amount > 100k CNY`.";
E0303 Error "score-out-of-range" "a score is compared with a number outside 0..1"
"`score` facts hold a number from 0 to 1 (`need_match >= 0.7`). Comparing one with 70
is almost certainly meant as 0.7.";
E0304 Error "value-type-mismatch" "a value does not fit the fact's type"
"A lead model or test gives a fact a value of the wrong type, e.g. a duration for a
money fact. The value must match the type declared in the pipeline's facts.";
E0305 Error "currency-mismatch" "amounts in different currencies are compared"
"Money compares only within one currency; cadence does not convert currencies.";
E0306 Error "unordered-comparison" "`<` or `>` on a value without an order"
"Only numbers, money, durations, scores and percentages have an order. Text and bool
facts compare with `==` and `!=`.";
E0307 Error "invalid-parameter" "a distribution parameter is impossible"
"Examples: a negative standard deviation, a lognormal whose p90 is not above its median,
`uniform(a, b)` with b below a, beta or gamma parameters that are not positive.";
E0308 Error "value-out-of-range" "a number is outside the range its setting allows"
"Counts are whole positive numbers, percentages lie in 0..100%, `fatigue` is a factor
in (0, 1], jump bounds are at least 1, business durations are whole numbers.";

// ───── flow ─────
W0401 Warning "unreachable-step" "no path of the cadence reaches this step"
"A step in a track that nothing jumps to, or a step after one that always jumps or
exits, never runs. Remove it or add a jump (`on connected -> hot_call`).";
W0402 Warning "unreachable-stage" "no exit of the pipeline leads to this stage"
"The first stage is where deals enter; every other stage must be the target of some
exit (or of a cadence's `stage` effect). This one is not, so no deal can get there.";
E0403 Error "dead-end-stage" "a non-terminal stage has no exit"
"A stage without `outcome won|lost` must have at least one `exit to ... when ...`,
otherwise deals that enter it stay forever.";
E0404 Error "exit-from-terminal" "a terminal stage has exits"
"A stage with `outcome won` or `outcome lost` ends the deal; exits and escalations in
it can never apply.";
E0405 Error "unbounded-loop" "a jump back to an earlier step has no bound"
"A jump to an earlier step (or to the step itself) can repeat forever. Give it a bound:
`-> call_1 at most 2 times`.";
W0406 Warning "step-after-unconditional-exit" "a step follows one that always leaves"
"The previous step has an `otherwise` (or covers all outcomes) that jumps or exits,
so the track never falls through to this step.";
E0407 Error "no-skip-violation" "an exit skips a stage under `no_skip`"
"With `no_skip`, an exit goes to the next stage in order or to a terminal stage.";
E0408 Error "no-backward-violation" "an exit goes backwards under `no_backward`"
"With `no_backward`, exits may not go to an earlier stage unless the transition is
listed: `no_backward except evaluation -> needs`.";
W0409 Warning "exit-never-fires" "an exit condition can never be true"
"The condition contradicts itself (`dwell > 10d and dwell < 5d`), or requires something
that the stage's `require` or earlier exits rule out.";
W0410 Warning "event-never-produced" "an event that nothing in the project produces"
"The condition waits for an event that no cadence sets (`-> set EVENT`) and no lead
model produces (`milestone EVENT ...`), so in simulation it never happens. If the
CRM records it by hand, a milestone in the lead model states how often.";
W0411 Warning "shadowed-exit" "an earlier exit always fires first"
"Exits are tried in order. This exit's condition implies an earlier exit's condition,
so the earlier exit always wins and this one never moves a deal.";
E0412 Error "max-gap-exceeded" "two touches can be further apart than `max_gap`"
"The pipeline says no live deal may go longer than `max_gap` without a touch. Over the
real calendar (weekends, holidays, send windows), this step can follow the previous
touch later than that. The message names the path and the dates of the worst case.
Shorten the wait or add a touch in between.";
E0413 Error "response-sla-exceeded" "the first touch can come later than `respond within`"
"The stage requires a first touch within the given time after a deal enters it. Over
the calendar, the first step of the cadence working this stage can come later. The
message names the entry time and first touch of the worst case.";
W0414 Warning "sla-without-cadence" "a stage has an SLA but no cadence works it"
"`respond within` is only checked for cadences that declare `pipeline P stage S`.
No cadence works this stage, so nothing is checked.";
E0415 Error "conflicting-effects" "effects after a jump or exit, or two of them"
"After `->`, `set`, `stage` and `task` come first, then at most one of a jump,
`exit REASON` or `continue`.";
E0416 Error "invalid-requirement" "`require` names something that is not evidence"
"`require` takes events or `bool` facts: the evidence a deal needs before a
non-terminal exit.";
E0417 Error "max-gap-at-entry" "a deal entering the stage waits longer than `max_gap` for its first touch"
"`max_gap` covers the whole time a deal is live, from the moment it enters a stage. Over
the calendar (entry at any moment, nights and holidays included), the first step of the
cadence working this stage can come later than that. Start the cadence `immediately`.";
E0418 Error "max-gap-after-last-touch" "after a cadence's last touch the deal stays live longer than `max_gap`"
"When a cadence ends (it runs out, or exits) the deal stays in its stage until an exit
moves it. Only a pure timer (`idle > 90d`, `dwell > 60d`) is sure to fire; until then
nothing touches the deal. Move the deal on when the cadence ends
(`otherwise -> stage lost, exit no_answer`), hand it to a person (a `task` effect), add
touches, or shorten the stage's timer.";
E0419 Error "max-gap-across-stages" "across a stage change the deal goes longer than `max_gap` without a touch"
"When a deal moves to another stage, the next touch is the first touch of the cadence
working that stage; with no cadence there, nothing touches the deal until a timer exit
moves it. The wait in progress in the old stage plus the wait for that first touch must
fit `max_gap`. Declare a cadence for the stage that starts `immediately`.";
W0420 Warning "rule-shadowed-by-exit" "a cadence-wide exit takes the outcome a step rule waits for"
"A cadence exit on `reply`, `bounce`, `unsubscribe` or `meeting_booked` fires the moment
its event happens and ends the cadence, so a step rule on the outcome that raises it
(`on replied`, `on bounced`, `on unsubscribed`/`on opted_out`, `on booked`) never
applies. Put the rule's effects on the exit (`exit replied on reply -> set interested`),
or drop the exit if the step should decide. A meeting's `held`, `no_show` and `cancelled`
come later than its booking: their rules still apply after `exit ... on meeting_booked`,
but without their jump or exit (the cadence has ended).";
E0421 Error "anchor-on-no-workday" "a weekday anchor names no working weekday of the calendar"
"`on tue, fri at 10:00` waits for the next listed weekday that is a working day of the cadence's
calendar. None of the listed weekdays is in the calendar's `workdays`, so the step would wait
for make-up days only, or forever. List a working weekday, or use the calendar the team works.";
W0422 Warning "anchor-outside-hours" "a weekday anchor's clock time is outside business hours"
"A touch due outside business hours waits for the next opening, so `on tue at 20:00` with hours
until 18:00 happens on Wednesday morning: not on the weekday the anchor names. Pick a clock time
inside the calendar's hours.";
E0423 Error "window-without-workday" "a date window holds no working day of the calendar"
"`active` (a cadence) and `during` (a step) limit touches to their dates, in the calendar's
time zone. A window with no working day never touches anyone: the send window moves every touch
past it. Check the dates against the calendar's holidays.";
W0424 Warning "step-window-outside-cadence" "a step's `during` dates lie outside the cadence's `active` dates"
"A step is skipped on due dates outside its `during` window, and the cadence runs only within
its `active` window. When the two do not overlap, the step is always skipped.";
W0425 Warning "window-beyond-calendar" "a date window lies in years the calendar lists no holidays for"
"The calendar lists holidays (and make-up days) for some years; the window falls in others, where
the checker and the simulator know no holidays. A Q4 campaign in 2027 on a calendar with only
2026's National Day is checked as if 2027 had none. Add that year's holidays to the calendar.";
E0426 Error "hand-off-never-enrolls" "a hand-off goes to a cadence the deal cannot enroll in"
"`hand_off to CADENCE` enrolls the deal in CADENCE when this cadence runs out, if the deal is in
CADENCE's stage and matches its `enroll when`. A cadence that runs out is still in the stage it
works, so a target on another pipeline or working another stage never enrolls it. Hand off to a
cadence of the same stage (or one that names no stage), or move the deal with `-> stage …`.";
W0427 Warning "hand-off-cycle" "hand-offs lead back to the cadence and the stage has no timer exit"
"Cadences that hand the deal to each other in a cycle (tier B nurture → tier C observation →
back to tier B) keep touching the deal until it leaves the stage. With no timer exit
(`idle > D`, `dwell > D`, `age > D`) in the stage, a deal that never answers is worked forever.
Add a timer exit or end the cycle with an `exit`.";
W0428 Warning "max-gap-in-terminal-stage" "a terminal stage sets `max_gap`"
"A stage with `outcome won|lost` ends the deal, so no touch is due there and its `max_gap` is
never checked. Remove it.";
W0429 Warning "step-always-skipped" "a step's `skip when` always holds"
"`skip when true` passes over the step every time: it never touches a lead. Remove the step,
or give the condition that marks the exception (`skip when tier == \"A\"`).";

// ───── compliance ─────
E0501 Error "missing-unsubscribe-exit" "a cadence sends email without an unsubscribe exit"
"Anti-spam law (CAN-SPAM, GDPR, China's advertising rules) requires that an unsubscribe
stops further messages. A cadence with email, SMS or WhatsApp steps must have
`exit unsubscribed on unsubscribe`.";
W0502 Warning "missing-reply-exit" "a cadence has no exit on reply"
"Without `exit replied on reply`, leads that reply keep getting automated touches,
which reads as not listening.";
W0503 Warning "missing-bounce-exit" "an emailing cadence has no exit on bounce"
"Without `exit bounced on bounce`, the cadence keeps emailing an address that bounced,
which hurts the sending domain's reputation.";

// ───── lead models and probabilities ─────
E0601 Error "shares-over-100" "outcome shares add up to more than 100%"
"Per touch, exactly one terminal outcome is drawn (email: bounced, unsubscribed,
replied or none; call: connected, voicemail, bad_number or no_answer). Their shares
must add up to at most 100%. Opened and clicked are drawn given delivery, so each may
be up to 100% on its own, and clicked may not exceed opened.";
E0602 Error "variant-shares" "variant shares do not total 100%"
"The variants of a step split its leads: `variant a 50%` and `variant b 50%`.";
W0603 Warning "implausible-rate" "a rate is far outside published benchmarks"
"Published figures: cold email replies about 3-3.5% per sequence (top decile 10%),
call connect rates 5-10% per dial. A much higher rate makes a simulation optimistic;
if you have data for it, keep it and ignore this warning.";
E0604 Error "segment-shares" "segment shares add up to more than 100%"
"Segments split the lead population; the rest is the base population.";
E0605 Error "unknown-outcome" "a rate names an outcome the channel does not have"
"Rates in a `respond` block must be outcomes of its channel (see E0212).";

// ───── calendars ─────
E0701 Error "invalid-hours" "business hours are empty, reversed or overlapping"
"Hours are ranges `09:00..12:00, 13:30..18:00`, each ending after it starts, in order,
not overlapping.";
E0702 Error "invalid-date-range" "a date range ends before it starts"
"Write the earlier date first: `2026-10-01..2026-10-08`.";
W0703 Warning "redundant-workday" "a make-up workday is already a working day"
"`workday` lists weekend dates that are worked (调休). This date is a working day anyway.";
E0704 Error "holiday-and-workday" "a date is both a holiday and a make-up workday"
"A date cannot be both; remove it from one of the lists.";
E0705 Error "calendar-closed" "a calendar has no working day for months"
"Between the listed holidays there is a stretch of more than 92 days without a single working
day. No sales team closes for a quarter: a holiday range is probably mistyped
(`2026-10-01..2027-10-07` for `2026-10-01..2026-10-07`). Timing checks (`max_gap`,
`respond within`) are skipped for this calendar until it is fixed.";

// ───── simulations and tests ─────
E0801 Error "invalid-test-step" "a test names an outcome or step that cannot happen"
"`when STEP.OUTCOME` needs a step of the test's cadence and an outcome of its channel;
`when EVENT` needs an event of the pipeline.";
E0802 Error "cadence-not-in-pipeline" "a simulation mixes parts that do not fit"
"A simulation runs one cadence (`cadence NAME`) or a whole pipeline (`pipeline NAME`), not
both; `cadences A, B` lists the cadences of a pipeline simulation, and each must work that
pipeline (its header says `pipeline NAME stage STAGE`).";
E0803 Error "test-target-conflict" "a test names both a cadence and a pipeline"
"A test runs one cadence (`cadence NAME`, from the cadence's stage) or a whole pipeline
(`pipeline NAME [stage STAGE]`, with every cadence that works it), not both. Keep one.";
E0804 Error "ambiguous-test-step" "a pipeline test names a step that several cadences have"
"In a pipeline test, `when STEP.OUTCOME` and `expect path` look for the step in every cadence
that works the pipeline. When two of them have a step of that name, write
`when CADENCE.STEP.OUTCOME`, or test the cadence on its own (`cadence NAME`).";
E0805 Error "test-failed" "a test's expectation does not hold"
"`cadence test` ran the test's scripted lead on the simulator's engine and an `expect` did not
hold. The message says what was expected and what happened instead; the notes are the trace of
the lead: each touch, outcome, rule, stage change, timer and cadence end with its time, and
which rule or exit decided. Fix the cadence or the test. A `when` that never applied (its
step was not touched by then) fails the test too.";

// ───── build ─────
E0901 Error "not-expressible" "the build target cannot express part of the project"
"`cadence build --target T` writes what T accepts, field for field. A branch in a linear
HubSpot or Salesloft sequence, an A/B variant, an SMS step, an outcome rule Zoho has no trigger
for, a delay beyond the target's range or a stage rule outside the target's pipeline body cannot
be written there. The message names the construct, the help names the target's limit. Change the
cadence, or build with `--allow-lossy`, which writes the nearest body and warns (W0902) about
each loss. docs/targets.md lists, per target, what maps to what and what cannot be expressed.";
W0902 Warning "lossy-build" "a lossy build dropped or approximated part of the project"
"`--allow-lossy` builds what a target cannot express (E0901) anyway: the label says what was
done instead (left out, sent as a task, shortened, rounded). Review each one: what runs in the
CRM is not exactly what the cadence says.";
E0903 Error "missing-crm-id" "a CRM id is missing from the ids file (strict build)"
"Under `--strict`, every template, action, role, layout and custom view a body refers to must
have an id in the ids file (`--ids cadence.ids.toml`). Add the key the help names, under the
target's table (`[zoho.templates]`) or the shared one (`[templates]`).";
W0904 Warning "placeholder-id" "a placeholder stands for a missing CRM id"
"Without `--strict`, a missing id is written as a clearly marked placeholder (`0` for Zoho's
numeric ids, listed in the cadence's description; a placeholder body for Salesloft email
templates). The body is well-formed, but the CRM will refuse or
misroute it until the id is filled in: add it to the ids file and build again.";
E0905 Error "invalid-build-output" "a built body breaks the vendor's documented rules"
"Before it writes a body, `cadence build` checks it against the vendor's documented request
rules (closed objects, required keys, enums, ranges, tree references). A failure is a bug in the
build: please report it with the input. The body is not written.";
E0906 Error "invalid-ids-file" "the ids file cannot be used"
"The ids file is TOML with the tables `templates`, `roles`, `modules`, `actions`, `views`,
`layouts` and `integrations`, at the top level (all targets) or under `[zoho]`, `[salesloft]` or
`[hubspot]`. Each entry maps a name to a non-empty id (a string or a whole number). Roles are per
vendor only (`[zoho.roles]` user ids are digits, `[salesloft.roles]` are emails): a user id means
nothing in another CRM. docs/targets.md shows an example.";
W0907 Warning "setup-item" "a setup item: configured once in the CRM, outside the built body"
"Some parts of a project live outside a cadence body in every CRM: stage exits and escalations,
`set`/`stage` effects, tasks run by exits, holiday calendars, assignee routing. They change no
touch of the built body, so the build writes the body and lists each item in `SETUP.md` and
`setup.json` next to the bodies (`-o DIR`), per cadence and per stage, with the CRM's own names.
An admin configures them once. `--fail-on-setup` makes each an error (E0901), as before.
An item marked `assumption:` is something the body relies on that the vendor does not document
(a Zoho trigger literal, HubSpot's unenrollment on a booked meeting): check it once in the CRM;
it is never an error.";
W0908 Warning "unknown-id-key" "a key of the ids file names nothing in the project"
"Each key of the ids file names a template, role, cadence, pipeline, step or channel of the
project (docs/targets.md lists the keys of each table). A key that names none of them is never
used, which is usually a typo: the help suggests the closest name (`material_downlaod` → did you
mean `material_download`?). Fix or remove the key.";

// ───── formatting ─────
E1001 Error "not-formatted" "a file is not in the canonical layout (`fmt --check`)"
"`cadence fmt --check` reports each file that `cadence fmt` would rewrite; the span covers the
first line that differs. Run `cadence fmt` on the file (comments are kept), or look at the change
first with `cadence fmt --check --diff`.";
}
