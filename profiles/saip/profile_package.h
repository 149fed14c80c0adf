// A strict decoder of SAIP profile packages (TCA "eUICC Profile Package:
// Interoperable Format Technical Specification" v2.x/v3.x, ASN.1 module
// PEDefinitions): the Unprotected Profile Package (UPP) an operator hands
// to the SM-DP+, a plain concatenation of ProfileElement DER TLVs.
//
//   ASSIGN_OR_RETURN(ProfilePackage package, DecodeProfilePackage(upp));
//   // package.header.iccid: where the ICCID is; package.ef_imsi: EF.IMSI...
//
// Decoding validates the package and locates the fields personalisation
// writes, as byte ranges into the input (no copies; the ranges stay valid
// for any byte string with the same layout, e.g. a template's copies):
//   * every PE is a valid DER tree (der::ValidateDer: definite minimal
//     lengths inside the input, at most der::kMaxDepth levels);
//   * the first PE is the header (tag A0), the last the end PE (AA), each
//     exactly once; every top-level TLV is a constructed context-specific
//     [n]: the known ProfileElement CHOICE alternatives, or a later one this
//     code does not know, which is kept and skipped;
//   * every known PE starts with its PEHeader (A0 {80 00 mandated?,
//     81 identification}); the fields of the PEs we read (header, mf, usim,
//     opt-usim, iot, pinCodes, pukCodes, akaParameter) come in ASN.1 order
//     with the right form and sizes.
//
// The personalisation fields, with the PEDefinitions tags (AUTOMATIC TAGS):
//   ICCID    ProfileHeader.iccid [3] 83 (plain BCD), and EF.ICCID: File
//            ef-iccid [4] A4 of PE-MF (B0) or PE-IoT (BF20), swapped BCD;
//   IMSI     EF.IMSI: ef-imsi [3] A3 of PE-USIM (B3), [9] A9 of PE-IoT;
//   ACC      EF.ACC:  ef-acc [18] B2 of PE-USIM and PE-IoT;
//   MSISDN   EF.MSISDN: ef-msisdn [7] A7 of PE-OPT-USIM (B4);
//   Ki, OPc  PE-AKAParameter (A4) algoConfiguration [1] A1 -> algoParameter
//            [1] A1 -> key [2] 82, opc [3] 83 (every akaParameter PE with
//            an algoParameter: USIM and ISIM usually share them);
//   PIN/ADM  PE-PINCodes (A2) pinCodes [1] A1 -> pinconfig [0] A0 -> SEQUENCE
//            {keyReference [0] 80, pinValue [1] 81 (8 bytes) ...};
//            PIN1 = pinAppl1 (1), PIN2 = secondPINAppl1 (0x81), ADM1 =
//            adm1 (0x0A), in whichever pinCodes PE (MF, DF.TELECOM, ADFs);
//   PUK      PE-PUKCodes (A3) pukCodes [1] A1 -> SEQUENCE {keyReference [0]
//            80, pukValue [1] 81 ...}; PUK1 = 1, PUK2 = 0x81.
// A File is SEQUENCE OF CHOICE {doNotCreate [0] 80, fileDescriptor [1] A1
// (Fcp), fillFileOffset [2] 82, fillFileContent [3] 83}. Files created or
// changed by PE-GenericFileManagement are not located.
//
// Pure functions of the input: thread-safe.
#ifndef SMDP_PROFILES_SAIP_PROFILE_PACKAGE_H_
#define SMDP_PROFILES_SAIP_PROFILE_PACKAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::profiles::saip {

// The ProfileElement CHOICE alternatives of PEDefinitions v3.3.1 by their
// tag number: the PE's tag is [n] constructed (A0 + n below 31, then BF1F,
// BF20, ...). Values above kOptIot are PEs of later versions.
enum class PeType : uint32_t {
  kHeader = 0,
  kGenericFileManagement = 1,
  kPinCodes = 2,
  kPukCodes = 3,
  kAkaParameter = 4,
  kCdmaParameter = 5,
  kSecurityDomain = 6,
  kRfm = 7,
  kApplication = 8,
  kNonStandard = 9,
  kEnd = 10,
  // 11..15: rfu1..rfu5 (PE-Dummy).
  kMf = 16,
  kCd = 17,
  kTelecom = 18,
  kUsim = 19,
  kOptUsim = 20,
  kIsim = 21,
  kOptIsim = 22,
  kPhonebook = 23,
  kGsmAccess = 24,
  kCsim = 25,
  kOptCsim = 26,
  kEap = 27,
  kDf5gs = 28,
  kDfSaip = 29,
  kDfSnpn = 30,
  kDf5gProse = 31,
  kIot = 32,
  kOptIot = 33,
};

// The last PE type this code knows.
inline constexpr uint32_t kLastKnownPeType = 33;

// The ASN.1 name of a PE type ("pinCodes", "usim", "opt-usim") or
// "unknown[n]".
std::string PeTypeName(PeType type);

// keyReference values of the codes personalisation writes.
inline constexpr uint32_t kKeyRefPin1 = 0x01;  // pinAppl1
inline constexpr uint32_t kKeyRefPin2 = 0x81;  // secondPINAppl1
inline constexpr uint32_t kKeyRefAdm1 = 0x0A;  // adm1
inline constexpr uint32_t kKeyRefPuk1 = 0x01;  // pukAppl1
inline constexpr uint32_t kKeyRefPuk2 = 0x81;  // secondPUKAppl1

// AlgoParameter.algorithmID values.
inline constexpr uint32_t kAlgorithmMilenage = 1;
inline constexpr uint32_t kAlgorithmTuak = 2;
inline constexpr uint32_t kAlgorithmUsimTest = 3;

// A range of bytes of the package.
struct ByteRange {
  size_t offset = 0;
  size_t length = 0;

  size_t end() const { return offset + length; }
  // The bytes of this range in `package` (which must be long enough).
  absl::string_view In(absl::string_view package) const {
    return package.substr(offset, length);
  }
};

// A primitive TLV of the package: the whole TLV and its contents.
struct ValueLocation {
  ByteRange tlv;
  ByteRange value;
};

// One top-level ProfileElement.
struct ProfileElement {
  PeType type = PeType::kHeader;
  bool known = false;  // type <= kLastKnownPeType
  ByteRange range;     // the whole TLV
  // PEHeader.identification (not for the header PE or unknown PEs).
  std::optional<uint32_t> identification;
  bool mandated = false;  // PEHeader.mandated present
};

// An elementary file described in a file-system PE.
struct FileLocation {
  size_t pe_index = 0;  // in ProfilePackage::elements
  ByteRange file;       // the File TLV (e.g. A3 ef-imsi of PE-USIM)
  // The Fcp of the File, if any (fileDescriptor [1] A1).
  std::optional<ByteRange> fcp;
  // The content written from offset 0: the first fillFileContent, when no
  // fillFileOffset comes before it.
  std::optional<ValueLocation> content;
  // Number of fillFileOffset / fillFileContent elements in the File.
  size_t fill_elements = 0;
  // Record length from Fcp.fileDescriptor (bytes 3-4 of a record-based
  // file's descriptor); 0 when not given or for a transparent file.
  uint32_t record_length = 0;
};

// The AlgoParameter of a PE-AKAParameter.
struct AlgorithmLocation {
  size_t pe_index = 0;
  uint32_t algorithm_id = 0;  // kAlgorithmMilenage, ...
  ValueLocation key;
  ValueLocation opc;
};

// The value of one PINConfiguration or PUKConfiguration.
struct CodeLocation {
  size_t pe_index = 0;
  uint32_t key_reference = 0;
  ValueLocation value;  // pinValue / pukValue (8 bytes)
};

struct ProfileHeader {
  uint32_t major_version = 0;
  uint32_t minor_version = 0;
  std::string profile_type;  // empty when absent
  ValueLocation iccid;       // 10 bytes, plain BCD
};

// A decoded package: see the file comment.
struct ProfilePackage {
  size_t size = 0;  // bytes of the whole package
  ProfileHeader header;
  std::vector<ProfileElement> elements;  // in order; [0] is the header
  size_t unknown_elements = 0;           // PEs of types this code skips

  std::vector<FileLocation> ef_iccid;
  std::vector<FileLocation> ef_imsi;
  std::vector<FileLocation> ef_acc;
  std::vector<FileLocation> ef_msisdn;
  std::vector<AlgorithmLocation> algorithms;
  std::vector<CodeLocation> pins;  // every PINConfiguration with a value
  std::vector<CodeLocation> puks;
};

struct DecodeOptions {
  // Largest package accepted. Default 2 MiB (profiles with applets are a
  // few hundred KB).
  size_t max_size = 2 << 20;
  // Whether PEs of types later than this code knows are skipped (true) or
  // refused (false).
  bool allow_unknown_elements = true;
};

// Decodes and validates `upp`. InvalidArgument names the PE (index, type,
// offset) and the field at fault.
[[nodiscard]] absl::StatusOr<ProfilePackage> DecodeProfilePackage(
    absl::string_view upp, const DecodeOptions& options = {});

}  // namespace smdp::profiles::saip

#endif  // SMDP_PROFILES_SAIP_PROFILE_PACKAGE_H_
