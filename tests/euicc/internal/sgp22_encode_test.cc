#include "tests/euicc/internal/sgp22_encode.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sgp22/der.h"

namespace smdp::euicc::internal {
namespace {

// Known answers: every expected hex string below was encoded by asn1tools
// compiled from the SGP.22 RSPDefinitions module (with PKIX1Explicit88 and
// PKIX1Implicit88), an ASN.1 implementation independent of this
// repository, from the same values.
std::string Hex(absl::string_view bytes) {
  return absl::AsciiStrToUpper(absl::BytesToHexString(bytes));
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

sgp22::der::Oid TestOid() { return *sgp22::der::Oid::FromString("2.999.10"); }

TEST(Sgp22EncodeTest, EuiccSigned1CopiesInfo2AndCtxParams1) {
  // EUICCInfo2 (minimal) and CtxParams1 are asn1tools' bytes too.
  const std::string info2 =
      "BF22238103020301820302020283030100008400850100880100A900AA000403000001"
      "0C0158";
  const std::string ctx = "A00F8003414243A108800435290611A100";
  EXPECT_EQ(Hex(EncodeEuiccSigned1(Bytes("11"), "smdp.example",
                                   std::string(16, '\x33'), Bytes(info2),
                                   Bytes(ctx))),
            absl::StrCat("305A800111830C736D64702E6578616D706C6584103333333333"
                         "3333333333333333333333",
                         info2, ctx));
}

TEST(Sgp22EncodeTest, ErrorAlternatives) {
  // authenticateErrorCode and downloadErrorCode keep INTEGER (02): the
  // transactionId next to them is tagged.
  EXPECT_EQ(Hex(EncodeAuthenticateResponseError(Bytes("11"), 1)),
            "BF3808A106800111020101");
  EXPECT_EQ(Hex(EncodePrepareDownloadResponseError(Bytes("11"), 5)),
            "BF2108A106800111020105");
  // CancelSessionResponse's error is its CHOICE's second alternative: 81.
  EXPECT_EQ(Hex(EncodeCancelSessionResponseError(5)), "BF4103810105");
}

TEST(Sgp22EncodeTest, PrepareDownloadResponseOk) {
  const std::string signed2 =
      EncodeEuiccSigned2(Bytes("11"), Bytes("0401"), std::string(32, '\0'));
  EXPECT_EQ(Hex(EncodePrepareDownloadResponseOk(signed2, Bytes("55"))),
            "BF2132A030302A8001115F49020401042000000000000000000000000000000000"
            "000000000000000000000000000000005F370155");
  EXPECT_EQ(Hex(EncodeEuiccSigned2(Bytes("11"), Bytes("0401"), std::nullopt)),
            "30088001115F49020401");
}

TEST(Sgp22EncodeTest, CancelSessionResponseOk) {
  // EuiccCancelSessionSigned has no tagged component: 80, 81, 82.
  const std::string signed_part =
      EncodeEuiccCancelSessionSigned(Bytes("11"), TestOid(), 1);
  EXPECT_EQ(Hex(EncodeCancelSessionResponseOk(signed_part, Bytes("55"))),
            "BF4113A011300B800111810388370A8201015F370155");
}

TEST(Sgp22EncodeTest, ProfileInstallationResult) {
  ProfileInstallationResultFields ok;
  ok.transaction_id = Bytes("11");
  ok.seq_number = 3;
  ok.notification_address = "smdp.example";
  ok.iccid = Bytes("98001032547698103214");
  ok.smdp_oid = TestOid();  // universal 06: its siblings are tagged
  ok.final_result =
      PirSuccess{std::string(5, '\xA0'), Bytes("300730053003800100")};
  EXPECT_EQ(Hex(EncodeProfileInstallationResultData(ok)),
            "BF2742800111BF2F21800103810207800C0C736D64702E6578616D706C655A0A"
            "98001032547698103214060388370AA214A0124F05A0A0A0A0A0040930073005"
            "3003800100");

  ProfileInstallationResultFields error = ok;
  error.iccid.reset();
  error.smdp_oid.reset();
  error.final_result = PirError{1, 1, std::nullopt};
  const std::string data = EncodeProfileInstallationResultData(error);
  EXPECT_EQ(Hex(EncodeProfileInstallationResult(data, Bytes("55"))),
            "BF372CBF2725800111BF2F15800103810207800C0C736D64702E6578616D706C"
            "65A208A1068001018101015F370155");
}

}  // namespace
}  // namespace smdp::euicc::internal
