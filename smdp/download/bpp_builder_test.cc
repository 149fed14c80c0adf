// Unit tests of the builder against the server's own BSP decoder. The
// independent check (a software eUICC with its own crypto) is in
// tests/interop/.
#include "smdp/download/bpp_builder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/internal/test_util.h"
#include "hsm/software_provider.h"
#include "sgp22/bpp.h"
#include "sgp22/bsp/bsp_decoder.h"
#include "sgp22/bsp/bsp_keys.h"
#include "sgp22/der.h"

namespace smdp::download {
namespace {

namespace der = ::smdp::sgp22::der;
using ::smdp::hsm::Curve;
using ::smdp::hsm::testing::IsOk;
using ::smdp::hsm::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kEid[] = "89049032123451234512345678901235";

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + 7);
  return s;
}

struct Sequences {
  sgp22::InitialiseSecureChannelRequest iscr;
  std::string a0, a1, a3;
  std::optional<std::string> a2;
};

Sequences Split(absl::string_view bpp) {
  Sequences out;
  auto top = der::ParseSingleTlv(bpp, 0xBF36, "BPP");
  EXPECT_THAT(top.status(), IsOk());
  der::Reader r(top->value);
  auto iscr = r.Next(0xBF23, "iscr");
  EXPECT_THAT(iscr.status(), IsOk());
  auto decoded = sgp22::InitialiseSecureChannelRequest::Decode(iscr->raw);
  EXPECT_THAT(decoded.status(), IsOk());
  out.iscr = *decoded;
  out.a0 = std::string(r.Next(0xA0, "a0")->value);
  out.a1 = std::string(r.Next(0xA1, "a1")->value);
  if (r.NextIs(0xA2)) out.a2 = std::string(r.Next(0xA2, "a2")->value);
  out.a3 = std::string(r.Next(0xA3, "a3")->value);
  EXPECT_TRUE(r.AtEnd());
  return out;
}

class BppBuilderTest : public ::testing::TestWithParam<Curve> {
 protected:
  void SetUp() override {
    auto provider = hsm::SoftwareProvider::Create({});
    ASSERT_THAT(provider.status(), IsOk());
    provider_ = *std::move(provider);
    auto dppb = provider_->GenerateSigningKey("dppb", GetParam());
    ASSERT_THAT(dppb.status(), IsOk());
    dppb_ = *std::move(dppb);
    auto euicc = provider_->GenerateAgreementKey(GetParam());
    ASSERT_THAT(euicc.status(), IsOk());
    euicc_ot_ = *std::move(euicc);
  }

  BindingRequest Request() {
    BindingRequest request;
    request.transaction_id = std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    request.eid = kEid;
    request.euicc_otpk = euicc_ot_->public_point();
    request.dppb_key = dppb_.get();
    request.metadata.iccid =
        std::string("\x98\x10\x32\x54\x76\x98\x10\x32\x54\xF6", 10);
    request.metadata.service_provider_name = "Test Operator";
    request.metadata.profile_name = "Test Profile";
    return request;
  }

  // The eUICC side of the key agreement, then the server's decoder.
  absl::StatusOr<bsp::UnprotectedBpp> Open(const Sequences& s) {
    auto shared = euicc_ot_->Derive(s.iscr.smdp_otpk);
    if (!shared.ok()) return shared.status();
    auto eid = EidBytes(kEid);
    auto keys = bsp::DeriveSessionKeys(
        *shared, s.iscr.control_ref_template.host_id, *eid);
    if (!keys.ok()) return keys.status();
    std::optional<absl::string_view> a2;
    if (s.a2) a2 = *s.a2;
    return bsp::UnprotectBppSequences(*keys, s.a0, s.a1, a2, s.a3);
  }

  std::unique_ptr<hsm::SoftwareProvider> provider_;
  std::unique_ptr<hsm::SigningKey> dppb_;
  std::unique_ptr<hsm::AgreementKey> euicc_ot_;
};

TEST_P(BppBuilderTest, PlainProfileRoundTrips) {
  BoundProfilePackageBuilder builder(*provider_, {.smdp_oid = "2.999.10"});
  for (size_t size : {1, 1007, 1008, 100000}) {
    std::string profile = Pattern(size);
    auto bound = builder.Build(Request(), ProfileToBind::Plain(profile));
    ASSERT_THAT(bound.status(), IsOk());
    Sequences s = Split(bound->der);
    EXPECT_FALSE(s.a2.has_value());
    EXPECT_EQ(s.iscr.smdp_otpk, bound->smdp_otpk);
    EXPECT_EQ(s.iscr.transaction_id, Request().transaction_id);
    EXPECT_EQ(s.iscr.control_ref_template.host_id, "SMDP-PLUS");
    std::string signed_data = s.iscr.received_signed_fields +
                              der::EncodeTlv(0x5F49, euicc_ot_->public_point());
    EXPECT_TRUE(hsm::testing::VerifyPlainSignature(
        GetParam(), dppb_->public_point(), signed_data, s.iscr.smdp_sign));
    auto opened = Open(s);
    ASSERT_THAT(opened.status(), IsOk());
    EXPECT_EQ(opened->profile, profile) << size;
    EXPECT_FALSE(opened->ppk.has_value());
    auto metadata = sgp22::StoreMetadataRequest::Decode(opened->store_metadata);
    ASSERT_THAT(metadata.status(), IsOk());
    EXPECT_EQ(*metadata, Request().metadata);
    auto configure =
        sgp22::ConfigureIsdpRequest::Decode(opened->configure_isdp);
    ASSERT_THAT(configure.status(), IsOk());
    ASSERT_TRUE(configure->dp_proprietary_data.has_value());
    EXPECT_EQ(configure->dp_proprietary_data->dp_oid.ToString(), "2.999.10");
  }
}

TEST_P(BppBuilderTest, ProtectedProfileIsCopiedNotReprotected) {
  BoundProfilePackageBuilder builder(*provider_);
  std::string profile = Pattern(64 * 1024);
  auto ppp = bsp::ProtectProfile(profile);
  ASSERT_THAT(ppp.status(), IsOk());
  auto first = builder.Build(Request(), ProfileToBind::Protected(*ppp));
  auto second = builder.Build(Request(), ProfileToBind::Protected(*ppp));
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(second.status(), IsOk());
  Sequences a = Split(first->der), b = Split(second->der);
  // Same profile segments byte for byte; fresh session keys each time.
  EXPECT_EQ(a.a3, ppp->segments);
  EXPECT_EQ(b.a3, ppp->segments);
  EXPECT_NE(a.iscr.smdp_otpk, b.iscr.smdp_otpk);
  EXPECT_NE(a.a0, b.a0);
  ASSERT_TRUE(a.a2.has_value());
  auto opened = Open(a);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->profile, profile);
  ASSERT_TRUE(opened->ppk.has_value());
  EXPECT_EQ(opened->ppk->enc_bytes(), ppp->ppk.enc_bytes());
}

TEST_P(BppBuilderTest, RejectsBadRequests) {
  BoundProfilePackageBuilder builder(*provider_);
  std::string profile = "x";
  BindingRequest r = Request();
  r.transaction_id = "";
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  r = Request();
  r.eid = "8904";
  auto status = builder.Build(r, ProfileToBind::Plain(profile)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("BindingRequest.eid"));
  r = Request();
  r.euicc_otpk[10] ^= 0x5A;  // Off the curve.
  status = builder.Build(r, ProfileToBind::Plain(profile)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(status.message(), HasSubstr("euicc_otpk"));
  r = Request();
  r.dppb_key = nullptr;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(builder.Build(Request(), ProfileToBind::Plain("")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(BppBuilderTest, KeptAgreementBindsAgainWithTheSameKeys) {
  auto kek = provider_->GetOrCreateSecretKey("kek");
  ASSERT_THAT(kek.status(), IsOk());
  BoundProfilePackageBuilder builder(*provider_, {.smdp_oid = "2.999.10"});
  const std::string profile = Pattern(5000);
  BindingRequest first_request = Request();
  first_request.kek = kek->get();
  first_request.kept_context = "8900000000000000001";
  auto first = builder.Build(first_request, ProfileToBind::Plain(profile));
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_TRUE(first->kept.has_value());
  EXPECT_EQ(first->kept->smdp_otpk, first->smdp_otpk);
  // ShS is not in the kept agreement in clear.
  auto shared = euicc_ot_->Derive(first->smdp_otpk);
  ASSERT_THAT(shared.status(), IsOk());
  EXPECT_EQ(first->kept->sealed_shared_secret.find(*shared), std::string::npos);
  EXPECT_GT(first->kept->sealed_shared_secret.size(), shared->size());

  // A retry (another transactionId) with the kept agreement.
  BindingRequest retry = first_request;
  retry.transaction_id = std::string("\x0A\x0B\x0C", 3);
  retry.reuse = &*first->kept;
  auto second = builder.Build(retry, ProfileToBind::Plain(profile));
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(second->smdp_otpk, first->smdp_otpk);
  ASSERT_TRUE(second->kept.has_value());
  EXPECT_EQ(*second->kept, *first->kept);
  Sequences a = Split(first->der), b = Split(second->der);
  EXPECT_EQ(b.iscr.smdp_otpk, a.iscr.smdp_otpk);
  EXPECT_EQ(b.iscr.transaction_id, retry.transaction_id);
  // Same session keys: the protected sequences are byte for byte the same.
  EXPECT_EQ(b.a0, a.a0);
  EXPECT_EQ(b.a1, a.a1);
  EXPECT_EQ(b.a3, a.a3);
  // smdpSign covers the new transactionId.
  std::string signed_data = b.iscr.received_signed_fields +
                            der::EncodeTlv(0x5F49, euicc_ot_->public_point());
  EXPECT_TRUE(hsm::testing::VerifyPlainSignature(
      GetParam(), dppb_->public_point(), signed_data, b.iscr.smdp_sign));
  auto opened = Open(b);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->profile, profile);

  // Without a KEK nothing is kept.
  auto plain = builder.Build(Request(), ProfileToBind::Plain(profile));
  ASSERT_THAT(plain.status(), IsOk());
  EXPECT_FALSE(plain->kept.has_value());
  EXPECT_NE(plain->smdp_otpk, first->smdp_otpk);
}

TEST_P(BppBuilderTest, KeptAgreementOpensOnlyForItsBinding) {
  auto kek = provider_->GetOrCreateSecretKey("kek");
  ASSERT_THAT(kek.status(), IsOk());
  auto other_kek = provider_->GetOrCreateSecretKey("other-kek");
  ASSERT_THAT(other_kek.status(), IsOk());
  BoundProfilePackageBuilder builder(*provider_);
  const std::string profile = "x";
  BindingRequest request = Request();
  request.kek = kek->get();
  request.kept_context = "8900000000000000001";
  auto first = builder.Build(request, ProfileToBind::Plain(profile));
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_TRUE(first->kept.has_value());
  const KeptAgreement kept = *first->kept;

  BindingRequest r = request;
  r.reuse = &kept;
  r.kept_context = "8900000000000000002";  // another ICCID
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  r = request;
  r.reuse = &kept;
  r.eid = "89049032123451234512345678901236";  // another eUICC
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  auto other_euicc = provider_->GenerateAgreementKey(GetParam());
  ASSERT_THAT(other_euicc.status(), IsOk());
  r = request;
  r.reuse = &kept;
  r.euicc_otpk = (*other_euicc)->public_point();  // another otPK.EUICC
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  r = request;
  r.reuse = &kept;
  r.kek = other_kek->get();
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  KeptAgreement swapped = kept;  // another otPK.DP
  swapped.smdp_otpk = (*other_euicc)->public_point();
  r = request;
  r.reuse = &swapped;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  KeptAgreement tampered = kept;
  tampered.sealed_shared_secret[20] ^= 1;
  r = request;
  r.reuse = &tampered;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  // Malformed: no KEK, not a point.
  r = request;
  r.reuse = &kept;
  r.kek = nullptr;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  KeptAgreement short_point = kept;
  short_point.smdp_otpk.resize(33);
  r = request;
  r.reuse = &short_point;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The right one opens.
  r = request;
  r.reuse = &kept;
  EXPECT_THAT(builder.Build(r, ProfileToBind::Plain(profile)).status(), IsOk());
}

TEST(EidBytesTest, DigitsAndBytes) {
  auto bytes = EidBytes(kEid);
  ASSERT_THAT(bytes.status(), IsOk());
  EXPECT_EQ(*bytes, std::string("\x89\x04\x90\x32\x12\x34\x51\x23\x45\x12"
                                "\x34\x56\x78\x90\x12\x35",
                                16));
  EXPECT_EQ(*EidBytes(*bytes), *bytes);
  EXPECT_FALSE(EidBytes("8904903212345123451234567890123X").ok());
}

INSTANTIATE_TEST_SUITE_P(Curves, BppBuilderTest,
                         ::testing::Values(Curve::kNistP256,
                                           Curve::kBrainpoolP256r1),
                         [](const auto& info) {
                           return info.param == Curve::kNistP256 ? "P256"
                                                                 : "Brainpool";
                         });

}  // namespace
}  // namespace smdp::download
