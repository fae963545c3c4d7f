#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "weft/types.hpp"
#include "core/bytes.hpp"

namespace weft {
namespace {

// libsodium must be initialised once before use; sodium_init is thread-safe
// and idempotent, and a failure means the process cannot hash at all.
void ensure_sodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) throw std::runtime_error("weft: sodium_init failed");
    return true;
  }();
  (void)ready;
}

constexpr unsigned char kOpPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
    'w', 'e', 'f', 't', '/', 'o', 'p', '/', 'v', '1', 0, 0, 0, 0, 0, 0};

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kDigits[bytes[i] >> 4];
    s[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return s;
}

std::string ActorId::hex() const { return to_hex(bytes); }

Result<ActorId> ActorId::from_hex(std::string_view hex) {
  if (hex.size() != kActorIdSize * 2) {
    return make_error(Code::kInvalidArgument,
                      "actor id: expected 32 hex digits, got " + std::to_string(hex.size()));
  }
  ActorId a;
  for (size_t i = 0; i < kActorIdSize; ++i) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = hex[2 * i + k];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return make_error(Code::kInvalidArgument, "actor id: not a hex digit");
      v = v * 16 + d;
    }
    a.bytes[i] = static_cast<uint8_t>(v);
  }
  return a;
}

size_t ActorIdHash::operator()(const ActorId& a) const noexcept {
  static const auto key = [] {
    ensure_sodium();
    std::array<uint8_t, crypto_shorthash_KEYBYTES> k;
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, a.bytes.data(), a.bytes.size(), key.data());
  uint64_t v;
  std::memcpy(&v, out, sizeof v);
  return static_cast<size_t>(v);
}

ActorId ActorId::random() {
  ensure_sodium();
  ActorId a;
  randombytes_buf(a.bytes.data(), a.bytes.size());
  return a;
}

std::string OpId::to_string() const { return actor.hex() + ":" + std::to_string(counter); }

Result<std::vector<OpId>> normalize_deps(const OpId& self, std::vector<OpId> deps) {
  for (const OpId& d : deps) {
    if (d.counter == 0) {
      return make_error(Code::kMalformed, "op " + self.to_string() + ": dependency " +
                                              d.to_string() + " has counter 0");
    }
    if (d.actor == self.actor && d.counter >= self.counter) {
      return make_error(Code::kMalformed, "op " + self.to_string() + ": depends on " +
                                              d.to_string() + " (self-dependency or cycle)");
    }
  }
  std::erase_if(deps, [&](const OpId& d) { return d.actor == self.actor; });
  // Highest counter per actor first, then keep the first entry of each actor.
  std::sort(deps.begin(), deps.end(), [](const OpId& x, const OpId& y) {
    return x.actor != y.actor ? x.actor < y.actor : x.counter > y.counter;
  });
  deps.erase(std::unique(deps.begin(), deps.end(),
                         [](const OpId& x, const OpId& y) { return x.actor == y.actor; }),
             deps.end());
  return deps;
}

bool deps_canonical(const OpId& self, std::span<const OpId> deps) {
  for (size_t i = 0; i < deps.size(); ++i) {
    if (deps[i].counter == 0 || deps[i].actor == self.actor) return false;
    if (i > 0 && !(deps[i - 1].actor < deps[i].actor)) return false;
  }
  return true;
}

Hash op_hash(const Op& op) {
  ensure_sodium();
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, nullptr, 0, kHashSize, nullptr, kOpPersonal);
  // Fixed-width little-endian header; with a 64-byte payload and no explicit
  // dependency the whole input fits one 128-byte BLAKE2b block.
  uint8_t head[16 + 8 + 8 + 4 + 8 + 4 + 8];
  ByteWriter w(head);
  w.bytes(op.id.actor.bytes);
  w.u64(op.id.counter);
  w.u64(op.lamport);
  w.u32(op.kind);
  w.u64(static_cast<uint64_t>(op.timestamp_ms));
  w.u32(static_cast<uint32_t>(op.deps.size()));
  w.u64(op.payload.size());
  crypto_generichash_blake2b_update(&st, head, sizeof head);
  for (const OpId& d : op.deps) {
    uint8_t dep[16 + 8];
    ByteWriter dw(dep);
    dw.bytes(d.actor.bytes);
    dw.u64(d.counter);
    crypto_generichash_blake2b_update(&st, dep, sizeof dep);
  }
  crypto_generichash_blake2b_update(&st, op.payload.data(), op.payload.size());
  Hash h;
  crypto_generichash_blake2b_final(&st, h.data(), h.size());
  return h;
}

Hash blake2b_256(std::span<const uint8_t> bytes) {
  ensure_sodium();
  Hash h;
  crypto_generichash_blake2b(h.data(), h.size(), bytes.data(), bytes.size(), nullptr, 0);
  return h;
}

uint64_t VersionVector::get(const ActorId& actor) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const auto& e, const ActorId& a) { return e.first < a; });
  return it != entries_.end() && it->first == actor ? it->second : 0;
}

void VersionVector::set(const ActorId& actor, uint64_t counter) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const auto& e, const ActorId& a) { return e.first < a; });
  if (it != entries_.end() && it->first == actor) {
    if (counter == 0) {
      entries_.erase(it);
    } else {
      it->second = counter;
    }
  } else if (counter != 0) {
    entries_.insert(it, {actor, counter});
  }
}

void VersionVector::append_sorted(const ActorId& actor, uint64_t counter) {
  if (counter == 0) return;
  if (entries_.empty() || entries_.back().first < actor) {
    entries_.emplace_back(actor, counter);
  } else {
    set(actor, counter);
  }
}

void VersionVector::advance(const ActorId& actor, uint64_t counter) {
  if (counter > get(actor)) set(actor, counter);
}

uint64_t VersionVector::total() const {
  uint64_t n = 0;
  for (const auto& e : entries_) n += e.second;
  return n;
}

}  // namespace weft
