// EuiccApduCard driven through APDUs the way lpac drives a card (Es10Client):
// whole downloads against MiniSmdp with STORE DATA chaining and 61xx GET
// RESPONSE, notifications and the profile list, and the status words of bad
// APDUs.
#include "tests/euicc/apdu/euicc_apdu_card.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/crypto_provider.h"
#include "hsm/software_provider.h"
#include "sgp22/authentication.h"
#include "sgp22/der.h"
#include "sgp22/download.h"
#include "sgp22/euicc_info.h"
#include "sgp22/notification.h"
#include "sgp22/types.h"
#include "smdp/pki/dev_pki.h"
#include "tests/euicc/apdu/apdu.h"
#include "tests/euicc/apdu/es10_client.h"
#include "tests/euicc/euicc_testing.h"
#include "tests/mini_smdp/mini_smdp.h"
#include "tests/euicc/software_euicc.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"

namespace smdp::euicc::apdu {
namespace {

namespace der = ::smdp::sgp22::der;
using ::smdp::euicc::testing::BppOptions;
using ::smdp::euicc::testing::EuiccCredentials;
using ::smdp::euicc::testing::MiniSmdp;
using ::smdp::euicc::testing::MiniSmdpIdentity;
using ::smdp::matchers::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2025, 6, 1, 12, 0, 0),
                                        absl::UTCTimeZone());

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// n bytes of a fixed pseudo-random pattern.
std::string Profile(size_t n, uint8_t seed = 1) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 16);
  }
  return out;
}

sgp22::StoreMetadataRequest Metadata(uint8_t n) {
  sgp22::StoreMetadataRequest metadata = testing::SampleMetadata();
  metadata.iccid.back() = static_cast<char>(n);
  return metadata;
}

// The AuthenticateServerRequest exactly as lpac builds it (es10b.c): the
// InitiateAuthentication fields as received, then ctxParams1 with the
// matchingId and a deviceInfo of TAC 35290611 with empty
// deviceCapabilities.
std::string LpacAuthenticateServerRequest(const InitiateAuthenticationFields& f,
                                          absl::string_view matching_id) {
  der::Writer w;
  w.Constructed(0xBF38, [&](der::Writer& w) {
    w.AddRaw(f.server_signed1);
    w.AddRaw(f.server_signature1);
    w.AddRaw(f.euicc_ci_pkid_to_be_used);
    w.AddRaw(f.server_certificate);
    w.Constructed(0xA0, [&](der::Writer& w) {
      w.Add(0x80, matching_id);
      w.Constructed(0xA1, [&](der::Writer& w) {
        w.Add(0x80, Bytes({0x35, 0x29, 0x06, 0x11}));
        w.Add(0xA1, "");
      });
    });
  });
  return std::move(w).Finish();
}

// The PrepareDownloadRequest as lpac builds it (no confirmation code).
std::string LpacPrepareDownloadRequest(const AuthenticateClientFields& f) {
  der::Writer w;
  w.Constructed(0xBF21, [&](der::Writer& w) {
    w.AddRaw(f.smdp_signed2);
    w.AddRaw(f.smdp_signature2);
    w.AddRaw(f.smdp_certificate);
  });
  return std::move(w).Finish();
}

std::string Tlv(der::Tag tag, absl::string_view value = "") {
  return der::EncodeTlv(tag, value);
}

struct Param {
  bool sgp26;
  hsm::Curve curve;
  const char* name;
};

class EuiccApduCardTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const Param& p = GetParam();
    const std::string tmp = std::getenv("TEST_TMPDIR");
    ASSERT_OK_AND_ASSIGN(
        provider_, hsm::SoftwareProvider::Create({.key_dir = tmp + "/keys"}));
    EuiccCredentials creds;
    if (p.sgp26) {
      const std::string dir = testing::Sgp26Dir();
      if (dir.empty()) GTEST_SKIP() << "SMDP_SGP26_DIR is not set";
      ASSERT_OK_AND_ASSIGN(creds, testing::LoadSgp26Euicc(dir, p.curve));
      ASSERT_OK_AND_ASSIGN(MiniSmdpIdentity id,
                           testing::Sgp26Identity(*provider_, dir, p.curve));
      smdp_ = std::make_unique<MiniSmdp>(std::move(id), *provider_);
    } else {
      ASSERT_OK_AND_ASSIGN(
          pki::DevPki pki,
          pki::EnsureDevPki({.dir = tmp + "/pki", .now = kNow}, *provider_));
      ASSERT_OK_AND_ASSIGN(creds, testing::DevPkiEuicc(pki.ForCurve(p.curve)));
      ASSERT_OK_AND_ASSIGN(MiniSmdpIdentity id,
                           testing::DevPkiIdentity(*provider_, pki, p.curve));
      smdp_ = std::make_unique<MiniSmdp>(std::move(id), *provider_);
    }
    eid_ = creds.eid;
    SoftwareEuiccConfig config = creds.ToConfig();
    config.clock = FixedClock(kNow);
    ASSERT_OK_AND_ASSIGN(euicc_, SoftwareEuicc::Create(std::move(config)));
    card_ = std::make_unique<EuiccApduCard>(
        *euicc_, EuiccApduCardOptions{.default_dp_address = "smdp.example"});
  }

  // Authentication and PrepareDownload through `lpa`, up to the BPP.
  absl::StatusOr<std::string> UpToBpp(Es10Client& lpa,
                                      const BppOptions& options) {
    ASSIGN_OR_RETURN(std::string challenge_answer, lpa.Command(Tlv(0xBF2E)));
    ASSIGN_OR_RETURN(der::Tlv outer, der::ParseSingleTlv(challenge_answer,
                                                         0xBF2E, "challenge"));
    der::Reader r(outer.value, 1);
    ASSIGN_OR_RETURN(der::Tlv challenge, r.Next(0x80, "euiccChallenge"));
    ASSIGN_OR_RETURN(std::string info1, lpa.Command(Tlv(0xBF20)));
    RETURN_IF_ERROR(sgp22::EuiccInfo1::Decode(info1).status());
    ASSIGN_OR_RETURN(InitiateAuthenticationFields init,
                     smdp_->InitiateAuthentication(challenge.value));
    ASSIGN_OR_RETURN(
        std::string auth,
        lpa.Command(LpacAuthenticateServerRequest(init, "TEST-AC-1")));
    ASSIGN_OR_RETURN(AuthenticateClientFields client,
                     smdp_->AuthenticateClient(auth));
    ASSIGN_OR_RETURN(std::string prep,
                     lpa.Command(LpacPrepareDownloadRequest(client)));
    return smdp_->GetBoundProfilePackage(prep, options);
  }

  // "61xx" for n more bytes.
  static std::string More(size_t n) {
    return absl::BytesToHexString(Bytes({0x61, static_cast<uint8_t>(n)}));
  }

  std::string Send(absl::string_view hex) {
    return absl::BytesToHexString(card_->Transmit(absl::HexStringToBytes(hex)));
  }

  std::unique_ptr<hsm::SoftwareProvider> provider_;
  std::unique_ptr<MiniSmdp> smdp_;
  std::string eid_;
  std::unique_ptr<SoftwareEuicc> euicc_;
  std::unique_ptr<EuiccApduCard> card_;
};

TEST_P(EuiccApduCardTest, DownloadsLikeLpacAndKeepsTheNotification) {
  Es10Client lpa(*card_);
  ASSERT_OK(lpa.Open());
  EXPECT_EQ(lpa.channel(), 1);

  // chip info: EID, configured addresses, RAT, EUICCInfo2.
  ASSERT_OK_AND_ASSIGN(std::string eid,
                       lpa.Command(Tlv(0xBF3E, Tlv(0x5C, "\x5A"))));
  EXPECT_EQ(eid, Tlv(0xBF3E, Tlv(0x5A, euicc_->eid_bytes())));
  ASSERT_OK_AND_ASSIGN(std::string addresses, lpa.Command(Tlv(0xBF3C)));
  EXPECT_EQ(addresses, Tlv(0xBF3C, Tlv(0x80, "smdp.example") +
                                       Tlv(0x81, "testrootsmds.example.com")));
  ASSERT_OK_AND_ASSIGN(std::string rat, lpa.Command(Tlv(0xBF43)));
  EXPECT_EQ(rat, Tlv(0xBF43, Tlv(0xA0)));
  ASSERT_OK_AND_ASSIGN(std::string info2, lpa.Command(Tlv(0xBF22)));
  EXPECT_EQ(info2, euicc_->GetEuiccInfo2());
  EXPECT_GT(lpa.get_responses(), 0);  // EUICCInfo2 came through 61xx

  const std::string profile = Profile(20000);
  ASSERT_OK_AND_ASSIGN(
      std::string bpp,
      UpToBpp(lpa, {.profile = profile, .metadata = Metadata(7)}));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pieces,
                       SplitBoundProfilePackage(bpp));
  EXPECT_GT(pieces.size(), 20u);  // 20 segments of 86 and the rest
  const int before = lpa.get_responses();
  ASSERT_OK_AND_ASSIGN(std::string pir, lpa.LoadBoundProfilePackage(bpp));
  EXPECT_GT(lpa.get_responses(), before);
  ASSERT_OK_AND_ASSIGN(sgp22::ProfileInstallationResultData data,
                       smdp_->HandleNotification(pir));
  ASSERT_TRUE(std::holds_alternative<sgp22::SuccessResult>(data.final_result));
  EXPECT_EQ(data.notification_metadata.iccid, Metadata(7).iccid);
  EXPECT_EQ(euicc_->installed_iccids(), std::vector{Metadata(7).iccid});

  // Every intermediate piece answered 9000 without data.
  size_t stores = 0;
  for (const auto& [command, response] : lpa.exchanged()) {
    if (command.size() > 1 && static_cast<uint8_t>(command[1]) == 0xE2) {
      ++stores;
      EXPECT_TRUE(StatusWord(response) == kSwOk ||
                  (StatusWord(response) >> 8) == 0x61);
    }
  }
  EXPECT_GT(stores, 200u);  // 20 KB in blocks of 120 bytes

  // notification list / process / remove.
  const int64_t seq = data.notification_metadata.seq_number;
  ASSERT_OK_AND_ASSIGN(std::string list, lpa.Command(Tlv(0xBF28)));
  EXPECT_EQ(list, Tlv(0xBF28, Tlv(0xA0, data.notification_metadata.Encode())));
  der::Writer by_seq;
  by_seq.Constructed(0xBF2B, [&](der::Writer& w) {
    w.Constructed(0xA0, [&](der::Writer& w) { w.AddInteger(seq, 0x80); });
  });
  ASSERT_OK_AND_ASSIGN(std::string retrieved,
                       lpa.Command(std::move(by_seq).Finish()));
  EXPECT_EQ(retrieved, Tlv(0xBF2B, Tlv(0xA0, pir)));
  der::Writer sent;
  sent.Constructed(0xBF30, [&](der::Writer& w) { w.AddInteger(seq, 0x80); });
  const std::string sent_request = std::move(sent).Finish();
  ASSERT_OK_AND_ASSIGN(std::string removed, lpa.Command(sent_request));
  EXPECT_EQ(removed, Tlv(0xBF30, Tlv(0x80, Bytes({0}))));
  ASSERT_OK_AND_ASSIGN(removed, lpa.Command(sent_request));
  EXPECT_EQ(removed, Tlv(0xBF30, Tlv(0x80, Bytes({1}))));  // nothingToDelete
  ASSERT_OK_AND_ASSIGN(list, lpa.Command(Tlv(0xBF28)));
  EXPECT_EQ(list, Tlv(0xBF28, Tlv(0xA0)));

  // profile list.
  ASSERT_OK_AND_ASSIGN(std::string profiles, lpa.Command(Tlv(0xBF2D)));
  ASSERT_OK_AND_ASSIGN(der::Tlv top,
                       der::ParseSingleTlv(profiles, 0xBF2D, "list"));
  der::Reader r(top.value, 1);
  ASSERT_OK_AND_ASSIGN(der::Reader infos, r.Enter(0xA0, "profileInfoListOk"));
  ASSERT_OK_AND_ASSIGN(der::Reader info, infos.Enter(0xE3, "ProfileInfo"));
  EXPECT_TRUE(infos.AtEnd());
  ASSERT_OK_AND_ASSIGN(der::Tlv iccid, info.Next(0x5A, "iccid"));
  EXPECT_EQ(iccid.value, Metadata(7).iccid);
  ASSERT_OK_AND_ASSIGN(der::Tlv aid, info.Next(0x4F, "isdpAid"));
  EXPECT_THAT(aid.value, SizeIs(16));
  ASSERT_OK_AND_ASSIGN(der::Tlv state, info.Next(0x9F70, "profileState"));
  EXPECT_EQ(state.value, Bytes({0}));
  ASSERT_OK_AND_ASSIGN(der::Tlv spn, info.Next(0x91, "spn"));
  EXPECT_EQ(spn.value, Metadata(7).service_provider_name);
  ASSERT_OK_AND_ASSIGN(der::Tlv name, info.Next(0x92, "name"));
  EXPECT_EQ(name.value, Metadata(7).profile_name);

  ASSERT_OK(lpa.Close());
}

TEST_P(EuiccApduCardTest, AcceptsEveryBlockSizeAndTheWholeBppAtOnce) {
  uint8_t n = 0;
  for (const size_t mss : {size_t{6}, size_t{120}, size_t{255}}) {
    // A whole 3 KB BPP in one sequence needs big blocks: block numbers are
    // one byte.
    for (const bool whole : {false, mss == 255}) {
      SCOPED_TRACE(absl::StrCat("mss ", mss, whole ? " whole BPP" : ""));
      ++n;
      Es10Client lpa(*card_, mss);
      ASSERT_OK(lpa.Open());
      const std::string profile = Profile(3000, n);
      ASSERT_OK_AND_ASSIGN(std::string bpp,
                           UpToBpp(lpa, {.profile = profile,
                                         .use_ppk = n % 2 == 0,
                                         .metadata = Metadata(n)}));
      std::string pir;
      if (whole) {
        ASSERT_OK_AND_ASSIGN(pir, lpa.Command(bpp));
      } else {
        ASSERT_OK_AND_ASSIGN(pir, lpa.LoadBoundProfilePackage(bpp));
      }
      ASSERT_OK_AND_ASSIGN(sgp22::ProfileInstallationResultData data,
                           smdp_->HandleNotification(pir));
      EXPECT_TRUE(
          std::holds_alternative<sgp22::SuccessResult>(data.final_result));
      ASSERT_OK(lpa.Close());
    }
  }
  EXPECT_THAT(card_->notifications(), SizeIs(6));
  EXPECT_THAT(card_->profile_infos(), SizeIs(6));
}

TEST_P(EuiccApduCardTest, AFailedInstallationIsANotificationButNoProfile) {
  Es10Client lpa(*card_);
  ASSERT_OK(lpa.Open());
  ASSERT_OK_AND_ASSIGN(std::string bpp,
                       UpToBpp(lpa, {.profile = Profile(5000)}));
  ASSERT_OK_AND_ASSIGN(bpp, testing::TamperProfileSegment(bpp, 2));
  ASSERT_OK_AND_ASSIGN(std::string pir, lpa.LoadBoundProfilePackage(bpp));
  ASSERT_OK_AND_ASSIGN(sgp22::ProfileInstallationResultData data,
                       smdp_->HandleNotification(pir));
  const auto* error = std::get_if<sgp22::ErrorResult>(&data.final_result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->error_reason, sgp22::ErrorReason::kScp03tSecurityError);
  EXPECT_THAT(card_->notifications(), SizeIs(1));
  EXPECT_THAT(card_->profile_infos(), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(std::string profiles, lpa.Command(Tlv(0xBF2D)));
  EXPECT_EQ(profiles, Tlv(0xBF2D, Tlv(0xA0)));
}

TEST_P(EuiccApduCardTest, AnotherCommandAbandonsAPartialBpp) {
  Es10Client lpa(*card_);
  ASSERT_OK(lpa.Open());
  ASSERT_OK_AND_ASSIGN(std::string bpp,
                       UpToBpp(lpa, {.profile = Profile(5000)}));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pieces,
                       SplitBoundProfilePackage(bpp));
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string answer, lpa.Command(pieces[i]));
    EXPECT_EQ(answer, "");
  }
  // lpac's error path: CancelSession.
  der::Writer cancel;
  cancel.Constructed(0xBF41, [&](der::Writer& w) {
    w.Add(0x80, smdp_->transaction_id());
    w.AddInteger(0, 0x81);
  });
  ASSERT_OK_AND_ASSIGN(std::string answer,
                       lpa.Command(std::move(cancel).Finish()));
  ASSERT_OK_AND_ASSIGN(sgp22::EuiccCancelSessionSigned signed_part,
                       smdp_->CancelSession(answer));
  EXPECT_EQ(signed_part.reason, sgp22::CancelSessionReason::kEndUserRejection);
  // The rest of the BPP is now an unknown command: no BPP is open.
  absl::StatusOr<std::string> rest = lpa.Command(pieces[3]);
  EXPECT_THAT(rest, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(rest.status().message(), HasSubstr("SW 6A88"));
}

TEST_P(EuiccApduCardTest, StateSurvivesARestoreAndNicknamesStick) {
  Es10Client lpa(*card_);
  ASSERT_OK(lpa.Open());
  ASSERT_OK_AND_ASSIGN(
      std::string bpp,
      UpToBpp(lpa, {.profile = Profile(100), .metadata = Metadata(3)}));
  ASSERT_OK(lpa.LoadBoundProfilePackage(bpp).status());
  der::Writer nick;
  nick.Constructed(0xBF29, [&](der::Writer& w) {
    w.Add(0x5A, Metadata(3).iccid);
    w.Add(0x90, "my eSIM");
  });
  ASSERT_OK_AND_ASSIGN(std::string answer,
                       lpa.Command(std::move(nick).Finish()));
  EXPECT_EQ(answer, Tlv(0xBF29, Tlv(0x80, Bytes({0}))));
  ASSERT_OK_AND_ASSIGN(answer,
                       lpa.Command(Tlv(0xBF3F, Tlv(0x80, "dp.example"))));
  EXPECT_EQ(answer, Tlv(0xBF3F, Tlv(0x80, Bytes({0}))));

  EuiccApduCard restored(*euicc_);
  ASSERT_OK(restored.RestoreState(card_->SaveState()));
  EXPECT_EQ(restored.SaveState(), card_->SaveState());
  Es10Client lpa2(restored);
  ASSERT_OK(lpa2.Open());
  ASSERT_OK_AND_ASSIGN(std::string profiles, lpa2.Command(Tlv(0xBF2D)));
  EXPECT_THAT(profiles, HasSubstr(Tlv(0x90, "my eSIM")));
  ASSERT_OK_AND_ASSIGN(std::string addresses, lpa2.Command(Tlv(0xBF3C)));
  EXPECT_THAT(addresses, HasSubstr(Tlv(0x80, "dp.example")));
  ASSERT_OK_AND_ASSIGN(std::string list, lpa2.Command(Tlv(0xBF28)));
  EXPECT_EQ(list, Tlv(0xBF28, Tlv(0xA0,
                                  sgp22::NotificationMetadata{
                                      .seq_number = 1,
                                      .profile_management_operation =
                                          der::BitString::FromBits({0}),
                                      .notification_address = smdp_->address(),
                                      .iccid = Metadata(3).iccid}
                                      .Encode())));

  // Search criteria and tag lists.
  der::Writer search;
  search.Constructed(0xBF2D, [&](der::Writer& w) {
    w.Constructed(0xA0,
                  [&](der::Writer& w) { w.Add(0x5A, Metadata(3).iccid); });
    w.Add(0x5C, Bytes({0x5A, 0x90}));
  });
  ASSERT_OK_AND_ASSIGN(profiles, lpa2.Command(std::move(search).Finish()));
  EXPECT_EQ(profiles,
            Tlv(0xBF2D, Tlv(0xA0, Tlv(0xE3, Tlv(0x5A, Metadata(3).iccid) +
                                                Tlv(0x90, "my eSIM")))));
  der::Writer none;
  none.Constructed(0xBF2D, [&](der::Writer& w) {
    w.Constructed(0xA0,
                  [&](der::Writer& w) { w.Add(0x5A, Metadata(4).iccid); });
  });
  ASSERT_OK_AND_ASSIGN(profiles, lpa2.Command(std::move(none).Finish()));
  EXPECT_EQ(profiles, Tlv(0xBF2D, Tlv(0xA0)));

  EXPECT_THAT(restored.RestoreState("profile=zz\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(restored.RestoreState("what=00\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(
    Pkis, EuiccApduCardTest,
    ::testing::Values(Param{false, hsm::Curve::kNistP256, "DevPkiNist"},
                      Param{false, hsm::Curve::kBrainpoolP256r1, "DevPkiBrp"},
                      Param{true, hsm::Curve::kNistP256, "Sgp26Nist"}),
    [](const ::testing::TestParamInfo<Param>& info) {
      return std::string(info.param.name);
    });

// ---- the APDU layer (one PKI is enough) ----

class ApduLayerTest : public EuiccApduCardTest {};

TEST_P(ApduLayerTest, AnswersBadApdusWithTheRightStatusWords) {
  // Channel 1 is not open yet.
  EXPECT_EQ(Send("81e2910003bf2000"), "6881");
  // Basic channel: STORE DATA before SELECT.
  EXPECT_EQ(Send("80e2910003bf2000"), "6985");
  EXPECT_EQ(Send("00a404000ba0000005591010ffffffff"), "611a");  // partial AID
  EXPECT_EQ(Send("80c0000000"),
            "6f18"
            "8410a0000005591010ffffffff8900000100"
            "a5049f6501ff"
            "9000");
  EXPECT_EQ(Send("80c0000000"), "6985");  // nothing left
  EXPECT_EQ(Send("00a4040c05a000000000"), "6a82");
  EXPECT_EQ(Send("00a40000023f00"), "6a86");
  const std::string info1 = More(euicc_->GetEuiccInfo1().size());
  EXPECT_EQ(Send("80e2910003bf2000"), info1);  // now selected
  // Wrong length, CLA, INS.
  EXPECT_EQ(Send("80e2"), "6700");
  EXPECT_EQ(Send("80e2910005bf2000"), "6700");
  EXPECT_EQ(Send("ffe2910003bf2000"), "6e00");
  EXPECT_EQ(Send("00e2910003bf2000"), "6e00");  // STORE DATA is proprietary
  EXPECT_EQ(Send("80a404000ba0000005591010ffffffff"), "6e00");
  EXPECT_EQ(Send("80ca00fe00"), "6d00");
  EXPECT_EQ(Send("80aa00000aa9088100820101830107"), "9000");
  // P1 and block numbers.
  EXPECT_EQ(Send("80e2010003bf2000"), "6a86");
  EXPECT_EQ(Send("80e2110102bf20"), "6a86");  // first block is not 00
  EXPECT_EQ(Send("80e2110002bf20"), "9000");
  EXPECT_EQ(Send("80e2910201"
                 "00"),
            "6a86");  // block 02 after 00
  EXPECT_EQ(Send("80e2110002bf20"), "9000");
  EXPECT_EQ(Send("80e2910101"
                 "00"),
            info1);  // block 01: BF20 00 complete
  // ES10 tags and DER.
  EXPECT_EQ(Send("80e2910003bf7f00"), "6a88");    // unknown tag
  EXPECT_EQ(Send("80e2910003bf2005"), "6a80");    // length beyond the data
  EXPECT_EQ(Send("80e2910004bf200000"), "6a80");  // trailing byte
  EXPECT_EQ(Send("80e29100020400"), "6a88");      // a TLV, but no command
  EXPECT_EQ(Send("80e2910003bf9900"), "6a80");    // not even a TLV
  EXPECT_EQ(Send("80e2910003bf3800"), "6a80");    // AuthenticateServer: empty
  EXPECT_EQ(Send("80e2910003bf3600"), "6985");    // a BPP, but no session
  // GET RESPONSE: P1P2, and nothing after another command.
  EXPECT_EQ(Send("80c0010000"), "6a86");
}

TEST_P(ApduLayerTest, ChannelsOpenCloseAndRunOut) {
  EXPECT_EQ(Send("0070000001"), "019000");
  EXPECT_EQ(Send("0070000001"), "029000");
  EXPECT_EQ(Send("0070000001"), "039000");
  EXPECT_EQ(Send("0070000001"), "6a81");
  EXPECT_EQ(Send("8070000001"), "6e00");
  EXPECT_EQ(Send("0070800200"), "9000");
  EXPECT_EQ(Send("0070800200"), "6881");  // closed already
  EXPECT_EQ(Send("0070800000"), "6a86");  // the basic channel stays
  EXPECT_EQ(Send("0070000001"), "029000");
  EXPECT_EQ(Send("0070400000"), "6a86");
  // The ISD-R on channel 2, not on 3.
  EXPECT_EQ(Send("02a4040c10a0000005591010ffffffff8900000100"), "9000");
  EXPECT_EQ(Send("82e2910003bf2000"), More(euicc_->GetEuiccInfo1().size()));
  EXPECT_EQ(Send("83e2910003bf2000"), "6985");
  // A power cycle closes them.
  card_->Reset();
  EXPECT_EQ(Send("82e2910003bf2000"), "6881");
}

TEST_P(ApduLayerTest, LongAnswersComeInChunksOfLe) {
  EXPECT_EQ(Send("00a4040c10a0000005591010ffffffff8900000100"), "9000");
  const std::string info2 = euicc_->GetEuiccInfo2();
  ASSERT_GT(info2.size(), 100u);
  // Case 4 STORE DATA (with Le 10): the first 16 bytes at once.
  std::string r = card_->Transmit(absl::HexStringToBytes("80e2910003bf220010"));
  EXPECT_EQ(ResponseData(r), info2.substr(0, 16));
  EXPECT_EQ(StatusWord(r), 0x6100 | (info2.size() - 16));
  std::string got(ResponseData(r));
  while ((StatusWord(r) >> 8) == 0x61) {
    r = card_->Transmit(absl::HexStringToBytes("80c0000020"));  // 32 at a time
    EXPECT_LE(ResponseData(r).size(), 32u);
    absl::StrAppend(&got, ResponseData(r));
  }
  EXPECT_EQ(StatusWord(r), kSwOk);
  EXPECT_EQ(got, info2);
}

INSTANTIATE_TEST_SUITE_P(DevPki, ApduLayerTest,
                         ::testing::Values(Param{false, hsm::Curve::kNistP256,
                                                 "DevPkiNist"}),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::string(info.param.name);
                         });

// ---- APDU parsing ----

TEST(CommandApduTest, ParsesTheFourCases) {
  ASSERT_OK_AND_ASSIGN(CommandApdu c1,
                       CommandApdu::Parse(Bytes({0, 0x70, 0x80, 1})));
  EXPECT_EQ(c1.data, "");
  EXPECT_FALSE(c1.le.has_value());
  ASSERT_OK_AND_ASSIGN(CommandApdu c2,
                       CommandApdu::Parse(Bytes({0x80, 0xC0, 0, 0, 0})));
  EXPECT_EQ(c2.le, 256u);
  ASSERT_OK_AND_ASSIGN(
      CommandApdu c3,
      CommandApdu::Parse(Bytes({0x81, 0xE2, 0x91, 0, 2, 0xBF, 0x20})));
  EXPECT_EQ(c3.data, Bytes({0xBF, 0x20}));
  EXPECT_FALSE(c3.le.has_value());
  EXPECT_EQ(c3.Encode(), Bytes({0x81, 0xE2, 0x91, 0, 2, 0xBF, 0x20}));
  ASSERT_OK_AND_ASSIGN(
      CommandApdu c4,
      CommandApdu::Parse(Bytes({0x81, 0xE2, 0x91, 0, 1, 0xBF, 0x10})));
  EXPECT_EQ(c4.le, 16u);
  EXPECT_EQ(c4.Encode(), Bytes({0x81, 0xE2, 0x91, 0, 1, 0xBF, 0x10}));
  EXPECT_FALSE(CommandApdu::Parse(Bytes({0x80, 0xE2, 0x91})).ok());
  EXPECT_FALSE(
      CommandApdu::Parse(Bytes({0x80, 0xE2, 0x91, 0, 0, 0, 1, 0})).ok());
  EXPECT_FALSE(CommandApdu::Parse(Bytes({0x80, 0xE2, 0x91, 0, 3, 1})).ok());
}

TEST(CommandApduTest, ChannelsInCla) {
  EXPECT_EQ(ChannelOfCla(0x00), 0);
  EXPECT_EQ(ChannelOfCla(0x83), 3);
  EXPECT_EQ(ChannelOfCla(0x40), 4);
  EXPECT_EQ(ChannelOfCla(0xCF), 19);
  EXPECT_EQ(ChannelOfCla(0xFF), -1);
  EXPECT_EQ(ClaForChannel(0x80, 2), 0x82);
  EXPECT_EQ(ClaForChannel(0x00, 5), 0x41);
  EXPECT_EQ(ClaForChannel(0x80, 19), 0xCF);
}

}  // namespace
}  // namespace smdp::euicc::apdu
