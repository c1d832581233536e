#include "control/work_queue.h"

#include <fmt/format.h>

#include <exception>

namespace th::control {

WorkQueue::WorkQueue() : worker_([this] { run(); }) {}

WorkQueue::~WorkQueue() {
  stop();
}

void WorkQueue::post(int key, std::string name, Job job, Reply reply) {
  std::deque<Item> replaced;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      reply("the set is ending");
      return;
    }
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->key == key) {
        replaced.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    queue_.push_back({key, name, std::move(job), std::move(reply)});
  }
  wake_.notify_one();
  // Outside the lock: a reply may be slow (a network send) or post again.
  for (auto& r : replaced) r.reply(fmt::format("{}: replaced by a newer {}", r.name, name));
}

void WorkQueue::stop() {
  std::deque<Item> left;
  std::thread worker;  // only the first caller takes it: two stops never join twice
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
    worker = std::move(worker_);
  }
  wake_.notify_one();
  if (worker.joinable()) worker.join();
  for (auto& r : left) r.reply("the set is ending");
}

std::size_t WorkQueue::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + (busy_ ? 1 : 0);
}

void WorkQueue::run() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    std::string error;
    try {
      error = item.job();
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard lock(mutex_);
      busy_ = false;  // before the reply: whoever hears it sees the job done
    }
    item.reply(error);
  }
}

}  // namespace th::control
