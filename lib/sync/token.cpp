#include "weft/token.hpp"

#include <sodium.h>

#include <cstring>

#include "weft_generated.h"

namespace weft {
namespace {

namespace fb = flatbuffers;

constexpr unsigned char kTokenPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
    'w', 'e', 'f', 't', '/', 't', 'o', 'k', 'e', 'n', '/', 'v', '1', 0, 0, 0};

Hash token_mac(const Secret& secret, std::string_view log_id, uint32_t epoch, uint32_t scope) {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init_salt_personal(&st, secret.data(), secret.size(), kHashSize,
                                                nullptr, kTokenPersonal);
  uint8_t head[16];
  const uint64_t len = log_id.size();
  for (int i = 0; i < 8; ++i) head[i] = static_cast<uint8_t>(len >> (8 * i));
  for (int i = 0; i < 4; ++i) head[8 + i] = static_cast<uint8_t>(epoch >> (8 * i));
  for (int i = 0; i < 4; ++i) head[12 + i] = static_cast<uint8_t>(scope >> (8 * i));
  crypto_generichash_blake2b_update(&st, head, sizeof head);
  crypto_generichash_blake2b_update(&st, reinterpret_cast<const uint8_t*>(log_id.data()),
                                    log_id.size());
  Hash mac;
  crypto_generichash_blake2b_final(&st, mac.data(), mac.size());
  return mac;
}

std::vector<uint8_t> encode(std::string_view log_id, uint32_t epoch, uint32_t scope,
                            const Hash& mac) {
  fb::FlatBufferBuilder fbb(128 + log_id.size());
  auto id = fbb.CreateString(log_id.data(), log_id.size());
  wire::Digest d;
  std::memcpy(d.mutable_b()->Data(), mac.data(), kHashSize);
  auto body = wire::CreateToken(fbb, id, epoch, scope, &d);
  fbb.Finish(wire::CreateMessage(fbb, 1, wire::Body::Token, body.Union()),
             wire::MessageIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

Error denied(const std::string& why) {
  return make_error(Code::kPermissionDenied, "token: " + why);
}

}  // namespace

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::kRead: return "read";
    case Scope::kAppend: return "append";
    case Scope::kAdmin: return "admin";
  }
  return "unknown";
}

Secret new_secret() {
  if (sodium_init() < 0) throw std::runtime_error("weft: sodium_init failed");
  Secret s;
  randombytes_buf(s.data(), s.size());
  return s;
}

std::vector<uint8_t> issue_token(const Secret& secret, std::string_view log_id, uint32_t epoch,
                                 Scope scope) {
  const auto sc = static_cast<uint32_t>(scope);
  return encode(log_id, epoch, sc, token_mac(secret, log_id, epoch, sc));
}

Result<Grant> verify_token(const Secret& secret, std::string_view log_id, uint32_t current_epoch,
                           std::span<const uint8_t> token, Scope required) {
  // Copy into aligned memory: FlatBuffers reads scalars in place.
  std::vector<uint64_t> aligned((token.size() + 7) / 8);
  if (!token.empty()) std::memcpy(aligned.data(), token.data(), token.size());
  const auto* data = reinterpret_cast<const uint8_t*>(aligned.data());
  if (token.size() < 8 || token.size() > 4096 ||
      !fb::BufferHasIdentifier(data, wire::MessageIdentifier())) {
    return make_error(Code::kMalformed, "token: not a weft token");
  }
  fb::Verifier v(data, token.size(), 4, 4);
  if (!wire::VerifyMessageBuffer(v)) {
    return make_error(Code::kMalformed, "token: flatbuffers verification failed");
  }
  const wire::Message* msg = wire::GetMessage(data);
  const wire::Token* t = msg->body_as_Token();
  if (msg->format_version() != 1 || t == nullptr || t->log_id() == nullptr ||
      t->mac() == nullptr) {
    return make_error(Code::kMalformed, "token: missing fields or another message");
  }
  const std::string_view id(t->log_id()->c_str(), t->log_id()->size());
  Hash mac;
  std::memcpy(mac.data(), t->mac()->b()->Data(), kHashSize);
  // Fail closed: bytes that are not exactly the canonical encoding of these
  // fields (an unknown field, say) are refused before anything is trusted.
  auto canonical = encode(id, t->epoch(), t->scope(), mac);
  if (canonical.size() != token.size() ||
      std::memcmp(canonical.data(), data, token.size()) != 0) {
    return make_error(Code::kMalformed, "token: not in canonical form (unknown or extra fields)");
  }
  if (id != log_id) return denied("issued for another log");
  const Hash expected = token_mac(secret, id, t->epoch(), t->scope());
  if (sodium_memcmp(expected.data(), mac.data(), kHashSize) != 0) {
    return denied("MAC does not verify");
  }
  if (t->scope() < 1 || t->scope() > 3) return denied("unknown scope");
  if (t->epoch() > current_epoch) return denied("epoch was never issued");
  if (t->epoch() < current_epoch) {
    return make_error(Code::kStaleEpoch, "token: revoked (epoch " + std::to_string(t->epoch()) +
                                             ", current " + std::to_string(current_epoch) + ")");
  }
  const auto scope = static_cast<Scope>(t->scope());
  if (static_cast<uint32_t>(scope) < static_cast<uint32_t>(required)) {
    return denied(std::string("scope ") + std::string(scope_name(scope)) + " does not allow " +
                  std::string(scope_name(required)));
  }
  return Grant{std::string(id), t->epoch(), scope};
}

}  // namespace weft
