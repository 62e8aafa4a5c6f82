// Memory straight from mmap(2), for the sockets' batch buffers: pages cost
// nothing until a message is written into them. From malloc, a buffer this
// large may be carved out of heap memory that earlier work (loading the
// leases at start) left resident, and count in full towards the RSS.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace berth::server {

class UntouchedBuffer {
 public:
  // Throws std::bad_alloc when the kernel refuses the mapping.
  explicit UntouchedBuffer(size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
  }
  ~UntouchedBuffer() { ::munmap(data_, size_); }
  UntouchedBuffer(const UntouchedBuffer&) = delete;
  UntouchedBuffer& operator=(const UntouchedBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_ = nullptr;
};

}  // namespace berth::server
