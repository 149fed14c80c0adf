#include "smdp/http/internal/tls_identity_choice.h"

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace smdp::http::internal {
namespace {

// TLS code points (RFC 8422, RFC 8446, RFC 8734).
constexpr uint16_t kGroupP256 = 23;
constexpr uint16_t kGroupBrainpoolP256r1 = 26;
constexpr uint16_t kGroupBrainpoolP256r1Tls13 = 31;
constexpr uint16_t kEcdsaSha256 = 0x0403;  // ecdsa_secp256r1_sha256 in 1.3.
constexpr uint16_t kEcdsaBrainpoolP256r1Tls13Sha256 = 0x081A;
constexpr uint16_t kTls12 = 0x0303;
constexpr uint16_t kTls13 = 0x0304;
constexpr size_t kUnlisted = std::numeric_limits<size_t>::max();

bool Contains(const std::optional<std::vector<uint16_t>>& list,
              uint16_t value) {
  return list.has_value() &&
         std::find(list->begin(), list->end(), value) != list->end();
}

// Position of the first of `values` in the client's groups, kUnlisted when
// none is there.
size_t GroupRank(const ClientOffer& offer,
                 std::initializer_list<uint16_t> values) {
  if (!offer.groups.has_value()) return kUnlisted;
  for (size_t i = 0; i < offer.groups->size(); ++i) {
    for (uint16_t v : values) {
      if ((*offer.groups)[i] == v) return i;
    }
  }
  return kUnlisted;
}

struct Acceptance {
  bool tls13 = false;
  bool tls12 = false;
  size_t rank = kUnlisted;
};

Acceptance Accept(const ClientOffer& offer, const IdentityTraits& id,
                  bool tls13_brainpool) {
  Acceptance a;
  const bool tls12_signature =
      !offer.sigalgs.has_value() || Contains(offer.sigalgs, kEcdsaSha256);
  if (id.curve_nid == NID_X9_62_prime256v1) {
    a.tls13 = offer.tls13 && Contains(offer.sigalgs, kEcdsaSha256);
    a.tls12 = offer.tls12 && tls12_signature &&
              (!offer.groups.has_value() || Contains(offer.groups, kGroupP256));
    a.rank = GroupRank(offer, {kGroupP256});
  } else if (id.curve_nid == NID_brainpoolP256r1) {
    a.tls13 = tls13_brainpool && offer.tls13 &&
              Contains(offer.sigalgs, kEcdsaBrainpoolP256r1Tls13Sha256);
    a.tls12 = offer.tls12 && tls12_signature &&
              (!offer.groups.has_value() ||
               Contains(offer.groups, kGroupBrainpoolP256r1));
    a.rank =
        GroupRank(offer, {kGroupBrainpoolP256r1, kGroupBrainpoolP256r1Tls13});
  } else {
    // Nothing known: acceptable, after every ranked identity.
    a.tls13 = offer.tls13;
    a.tls12 = offer.tls12;
  }
  return a;
}

// Reads a big-endian uint16 list with a length prefix of `prefix_bytes`.
std::optional<std::vector<uint16_t>> ReadU16List(const unsigned char* data,
                                                 size_t len,
                                                 size_t prefix_bytes) {
  if (len < prefix_bytes) return std::nullopt;
  size_t body = prefix_bytes == 1 ? data[0] : (size_t{data[0]} << 8) | data[1];
  if (body != len - prefix_bytes || body % 2 != 0) return std::nullopt;
  std::vector<uint16_t> out;
  for (size_t i = prefix_bytes; i + 1 < len; i += 2) {
    out.push_back(static_cast<uint16_t>((data[i] << 8) | data[i + 1]));
  }
  return out;
}

std::optional<std::vector<uint16_t>> Extension(SSL* ssl, unsigned int type,
                                               size_t prefix_bytes) {
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, type, &data, &len) != 1) {
    return std::nullopt;
  }
  return ReadU16List(data, len, prefix_bytes);
}

// The host_name of a server_name extension (RFC 6066), "" if none.
std::string ServerName(SSL* ssl) {
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &len) !=
          1 ||
      len < 2 || ((size_t{data[0]} << 8) | data[1]) != len - 2) {
    return "";
  }
  size_t pos = 2;
  while (pos + 3 <= len) {
    const unsigned char type = data[pos];
    const size_t name_len = (size_t{data[pos + 1]} << 8) | data[pos + 2];
    pos += 3;
    if (pos + name_len > len) return "";
    if (type == TLSEXT_NAMETYPE_host_name) {
      std::string name(reinterpret_cast<const char*>(data + pos), name_len);
      absl::AsciiStrToLower(&name);
      if (absl::EndsWith(name, ".")) name.pop_back();
      return name;
    }
    pos += name_len;
  }
  return "";
}

}  // namespace

bool HasTls13Brainpool() {
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
  return true;
#else
  return false;
#endif
}

bool DnsNameMatches(absl::string_view pattern, absl::string_view host) {
  if (pattern.empty() || host.empty()) return false;
  if (absl::ConsumePrefix(&pattern, "*.")) {
    const size_t dot = host.find('.');
    return dot != absl::string_view::npos && dot > 0 &&
           host.substr(dot + 1) == pattern;
  }
  return pattern == host;
}

IdentityChoice ChooseTlsIdentity(const ClientOffer& offer,
                                 const std::vector<IdentityTraits>& identities,
                                 bool tls13_brainpool) {
  // 1. SNI.
  std::vector<size_t> pool;
  if (!offer.server_name.empty()) {
    for (size_t i = 0; i < identities.size(); ++i) {
      for (const std::string& name : identities[i].dns_names) {
        if (DnsNameMatches(name, offer.server_name)) {
          pool.push_back(i);
          break;
        }
      }
    }
  }
  if (pool.empty()) {
    for (size_t i = 0; i < identities.size(); ++i) pool.push_back(i);
  }
  // 2, 3. Acceptable, by the client's curve preference, then our order.
  IdentityChoice choice{pool.front(), false};
  std::optional<Acceptance> best;
  for (size_t i : pool) {
    const Acceptance a = Accept(offer, identities[i], tls13_brainpool);
    if (!a.tls13 && !a.tls12) continue;
    if (!best.has_value() || a.rank < best->rank) {
      best = a;
      choice.index = i;
    }
  }
  // 4. None: the first (choice.index is pool.front()).
  choice.cap_at_tls12 =
      best.has_value() && offer.tls13 && !best->tls13 && best->tls12;
  return choice;
}

ClientOffer ReadClientOffer(SSL* ssl) {
  ClientOffer offer;
  offer.server_name = ServerName(ssl);
  if (std::optional<std::vector<uint16_t>> versions =
          Extension(ssl, TLSEXT_TYPE_supported_versions, 1);
      versions.has_value()) {
    offer.tls12 = Contains(versions, kTls12);
    offer.tls13 = Contains(versions, kTls13);
  } else {
    offer.tls12 = SSL_client_hello_get0_legacy_version(ssl) >= kTls12;
    offer.tls13 = false;
  }
  offer.groups = Extension(ssl, TLSEXT_TYPE_supported_groups, 2);
  offer.sigalgs = Extension(ssl, TLSEXT_TYPE_signature_algorithms, 2);
  return offer;
}

IdentityTraits TraitsOf(X509* leaf) {
  IdentityTraits traits;
  traits.curve_nid = NID_undef;
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key != nullptr && EVP_PKEY_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group),
                                       &group_len)) {
      const int nid = OBJ_txt2nid(group);
      if (nid == NID_X9_62_prime256v1 || nid == NID_brainpoolP256r1) {
        traits.curve_nid = nid;
      }
    }
  }
  GENERAL_NAMES* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     ASN1_STRING_length(dns));
    absl::AsciiStrToLower(&text);
    traits.dns_names.push_back(std::move(text));
  }
  GENERAL_NAMES_free(names);
  return traits;
}

}  // namespace smdp::http::internal
