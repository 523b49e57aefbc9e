// The step journal of one job (docs/jobs.md): what each finished step saved in `jobs.steps`,
// as a plain struct. A step whose member is empty has not finished; the runner resumes at the
// first such step. parse() accepts every journal serialize() wrote, and `{}` (a new job).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace aibud::actors {

// context: who the job is for and what to do about it.
struct context_step {
  std::string decision;  // skip | record_only | reply
  std::string reason;    // why not reply ("too_old", "paused", "business_message", ...)
  int64_t contact_id = 0;
  int64_t tenant_id = 0;
  int64_t period_start = 0;  // the billing period the job was decided in
  int64_t cost = 0;          // the most a reply may cost
  std::string kind;          // text | image | business | other
  std::string text;          // the inbound text (caption for images)
  std::string jid;           // where replies go
  // The AI request's inputs (reply_agent's encoding): only in journals written before the
  // lead agents, whose requests are rebuilt from `agent_step` instead.
  nlohmann::json ai_inputs;
  // The lead agent's step as JSON text (lead_agent's append_json(agent_step)); "" for journals
  // written before the lead agents ran in the runner. Kept as text: it is written on every
  // message and read back only by a later run.
  std::string agent_step = {};
  // The burst this job answers (docs/agents.md step 1): the member jobs' ids, oldest first,
  // this job last; empty = this job alone.
  std::vector<int64_t> members = {};
};

// reserve: the credits held for (job, "reserve"), or why none were.
// A reservation released without a charge (the job went to the DLQ) is `released`; a replay
// reserves again under the next generation's ledger step ("reserve", "reserve.2", ...), since
// the ledger keeps one reservation per (job, step): each generation is charged at most once.
struct reserve_step {
  int64_t amount = 0;
  bool insufficient = false;
  bool grace = false;  // out of credits: the contact gets the free grace message
  int generation = 1;
  bool released = false;
  std::string ledger_step() const;
};

// ai: the model's answer.
struct ai_step {
  std::string text;    // what to send
  std::string intent;  // the structured intent, "" when none
  std::string status;  // the contact's status after this message ("" = unchanged)
  std::string model;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  // The lead agent's plan the sends come from, as JSON text (append_json(agent_plan)); "" in
  // older journals (one text: `text`, `status`).
  std::string plan = {};
};

// act: the intent is saved before the send; the result (Evolution's key.id) after it.
struct act_step {
  std::string hash;  // sha256 hex of the text (a poll: of its question and options)
  int64_t at = 0;    // when the intent was saved (ms UTC): reconciliation looks from here
  std::string text;  // the text, or a poll's question
  std::optional<std::string> result;      // key.id once sent
  std::string kind = "text";              // text | poll
  std::vector<std::string> options = {};  // poll
  int selectable_count = 1;               // poll
  int64_t typing_ms = 0;  // a "composing" presence this long goes before the send (0: none)
};

struct job_journal {
  std::optional<context_step> context;
  std::optional<reserve_step> reserve;
  std::optional<ai_step> ai;
  std::optional<act_step> act;      // the first send
  std::vector<act_step> more_acts;  // the plan's later sends, in order (a poll after a text)
  bool record = false;
  bool charge = false;

  // The name of the first step without a result: "context", "reserve", "ai", "act" (also
  // when only its intent is saved), "record", "charge", or "" when every step is done.
  std::string next_step() const;
  // act, then more_acts: every send intent in order.
  std::vector<act_step*> sends();
};

// Errors: invalid_argument when the text is not a JSON object of the journal's shape.
result<job_journal> parse_journal(const std::string& text);
std::string serialize(const job_journal& journal);

// The text of a journal's context and AI steps, kept by a run between the (up to three) times
// it saves its journal: neither step changes once set, and the context (with the agent's step)
// and the AI step (with its plan) are most of the text. Whoever sets either clears its text.
struct journal_text {
  std::string context;  // empty: not written yet
  std::string ai;
  void clear() {
    context.clear();
    ai.clear();
  }
};
// The same text as serialize(journal), reusing and filling `kept`.
std::string serialize(const job_journal& journal, journal_text& kept);

}  // namespace aibud::actors
