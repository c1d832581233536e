// WorkQueue: one worker thread that runs slow jobs (recomposing a set: a prompt's forward pass,
// a new model, reloaded patterns) one after another, so the thread that asked never waits.
// Contract:
// - post() queues a job with its reply (command.h); the worker runs jobs in order and answers
//   each with the job's result ("" or the reason it failed; an exception's message counts as a
//   failure).
// - A job that has not started yet is replaced by a newer one with the same key: the older
//   one's reply says it was replaced. A performer who sends three prompts in a row gets the last.
// - stop() (also the destructor) lets the running job finish, answers every queued one with
//   "the set is ending", and joins. Replies run on the worker thread (or stop()'s caller).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "control/command.h"

namespace th::control {

class WorkQueue {
 public:
  using Job = std::function<std::string()>;

  WorkQueue();
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Thread-safe; not realtime-safe (allocates). `name` words the replaced-job reply.
  void post(int key, std::string name, Job job, Reply reply);
  // Thread-safe; idempotent: the first call blocks until the running job ends.
  void stop();
  // Jobs queued or running. Thread-safe.
  std::size_t pending() const;

 private:
  struct Item {
    int key = 0;
    std::string name;
    Job job;
    Reply reply;
  };
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool busy_ = false, stopping_ = false;
  std::thread worker_;
};

}  // namespace th::control
