#include "profiles/saip/profile_package.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "profiles/saip/coding.h"
#include "sgp22/der.h"
#include "util/status_macros.h"

namespace smdp::profiles::saip {
namespace {

namespace der = ::smdp::sgp22::der;

constexpr der::Tag Ctx(uint32_t n, bool constructed = false) {
  return der::ContextTag(n, constructed);
}

// File fields of the file-system PEs we read (tag numbers in the PE).
constexpr uint32_t kMfEfIccid = 4;
constexpr uint32_t kUsimEfImsi = 3;
constexpr uint32_t kUsimEfAcc = 18;
constexpr uint32_t kOptUsimEfMsisdn = 7;
constexpr uint32_t kIotEfIccid = 4;
constexpr uint32_t kIotEfImsi = 9;
constexpr uint32_t kIotEfAcc = 18;

class Decoder {
 public:
  Decoder(absl::string_view upp, const DecodeOptions& options)
      : upp_(upp), options_(options) {}

  absl::StatusOr<ProfilePackage> Run() && {
    if (upp_.empty()) return absl::InvalidArgumentError("UPP: empty");
    if (upp_.size() > options_.max_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("UPP: ", upp_.size(), " bytes, more than the limit of ",
                       options_.max_size));
    }
    pkg_.size = upp_.size();
    absl::string_view rest = upp_;
    bool seen_end = false;
    while (!rest.empty()) {
      pe_index_ = pkg_.elements.size();
      pe_offset_ = upp_.size() - rest.size();
      pe_name_.clear();
      auto tlv = der::ParseTlv(&rest);
      if (!tlv.ok()) return PeError("", tlv.status().message());
      RETURN_IF_ERROR(DecodeElement(*tlv, seen_end));
      if (pkg_.elements.back().type == PeType::kEnd) seen_end = true;
    }
    if (!seen_end) {
      return absl::InvalidArgumentError(
          "UPP: no end PE (AA): the package is truncated or incomplete");
    }
    return std::move(pkg_);
  }

 private:
  // --- errors ---------------------------------------------------------------

  absl::Status PeError(absl::string_view field,
                       absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "UPP: PE #", pe_index_, " (", pe_name_.empty() ? "?" : pe_name_,
        ") at offset ", pe_offset_, ": ", field, field.empty() ? "" : ": ",
        message));
  }
  // Prefixes an error from der:: with the PE context.
  absl::Status Wrap(absl::string_view field, const absl::Status& s) const {
    return s.ok() ? s : PeError(field, s.message());
  }

  size_t Off(absl::string_view v) const {
    return static_cast<size_t>(v.data() - upp_.data());
  }
  ByteRange RangeOf(absl::string_view v) const { return {Off(v), v.size()}; }
  ValueLocation Loc(const der::Tlv& t) const {
    return {RangeOf(t.raw), RangeOf(t.value)};
  }

  // --- top level ------------------------------------------------------------

  absl::Status DecodeElement(const der::Tlv& tlv, bool seen_end) {
    if (der::TagClassOf(tlv.tag) != der::TagClass::kContextSpecific ||
        !tlv.constructed()) {
      return PeError("", absl::StrCat("tag ", der::TagToString(tlv.tag),
                                      " is not a ProfileElement"));
    }
    const uint32_t number = der::TagNumber(tlv.tag);
    ProfileElement pe;
    pe.type = static_cast<PeType>(number);
    pe.known = number <= kLastKnownPeType && (number < 11 || number > 15);
    pe.range = RangeOf(tlv.raw);
    pe_name_ = PeTypeName(pe.type);
    if (seen_end) return PeError("", "PE after the end PE");
    if (pkg_.elements.empty() && pe.type != PeType::kHeader) {
      return PeError("", "the first PE must be the header (A0)");
    }
    if (!pkg_.elements.empty() && pe.type == PeType::kHeader) {
      return PeError("", "a second header PE");
    }
    // The whole tree under this PE: definite, minimal, bounded, not too deep.
    RETURN_IF_ERROR(Wrap("", der::ValidateDer(tlv.raw)));
    if (!pe.known) {
      if (!options_.allow_unknown_elements) {
        return PeError("", "unknown ProfileElement type");
      }
      ++pkg_.unknown_elements;
      pkg_.elements.push_back(pe);
      return absl::OkStatus();
    }
    der::Reader r(tlv.value, 1, pe_name_);
    if (pe.type == PeType::kHeader) {
      pkg_.elements.push_back(pe);
      return DecodeHeader(r);
    }
    RETURN_IF_ERROR(DecodePeHeader(r, &pe));
    pkg_.elements.push_back(pe);
    switch (pe.type) {
      case PeType::kMf:
        return DecodeFileSystemPe(r, {{kMfEfIccid, &pkg_.ef_iccid}});
      case PeType::kUsim:
        return DecodeFileSystemPe(
            r, {{kUsimEfImsi, &pkg_.ef_imsi}, {kUsimEfAcc, &pkg_.ef_acc}});
      case PeType::kOptUsim:
        return DecodeFileSystemPe(r, {{kOptUsimEfMsisdn, &pkg_.ef_msisdn}});
      case PeType::kIot:
        return DecodeFileSystemPe(r, {{kIotEfIccid, &pkg_.ef_iccid},
                                      {kIotEfImsi, &pkg_.ef_imsi},
                                      {kIotEfAcc, &pkg_.ef_acc}});
      case PeType::kPinCodes:
        return DecodePinCodes(r);
      case PeType::kPukCodes:
        return DecodePukCodes(r);
      case PeType::kAkaParameter:
        return DecodeAkaParameter(r);
      default:
        return absl::OkStatus();  // validated as DER above
    }
  }

  // ProfileHeader ::= SEQUENCE { major-version [0], minor-version [1],
  // profileType [2] OPTIONAL, iccid [3], pol [4] OPTIONAL,
  // eUICC-Mandatory-services [5], eUICC-Mandatory-GFSTEList [6], ... }
  absl::Status DecodeHeader(der::Reader& r) {
    ProfileHeader& h = pkg_.header;
    ASSIGN_OR_RETURN(h.major_version, UInt(r, Ctx(0), "major-version", 255));
    ASSIGN_OR_RETURN(h.minor_version, UInt(r, Ctx(1), "minor-version", 255));
    auto type = r.Optional(Ctx(2));
    RETURN_IF_ERROR(Wrap("profileType", type.status()));
    if (type->has_value()) {
      absl::string_view v = (*type)->value;
      if (v.empty() || v.size() > 100) {
        return PeError("profileType", "must be 1 to 100 bytes");
      }
      RETURN_IF_ERROR(Wrap("profileType", der::ValidateUtf8(v)));
      h.profile_type = std::string(v);
    }
    auto iccid = r.Next(Ctx(3), "iccid");
    RETURN_IF_ERROR(Wrap("", iccid.status()));
    if (iccid->value.size() != kIccidSize) {
      return PeError("iccid",
                     absl::StrCat(iccid->value.size(), " bytes, expected 10"));
    }
    h.iccid = Loc(*iccid);
    RETURN_IF_ERROR(Wrap("", r.Optional(Ctx(4)).status()));  // pol
    RETURN_IF_ERROR(
        Wrap("", r.Next(Ctx(5, true), "eUICC-Mandatory-services").status()));
    auto gfste = r.Enter(Ctx(6, true), "eUICC-Mandatory-GFSTEList");
    RETURN_IF_ERROR(Wrap("", gfste.status()));
    while (!gfste->AtEnd()) {
      RETURN_IF_ERROR(
          Wrap("", gfste->Next(der::kObjectIdentifier, "templateID").status()));
    }
    return Wrap("", r.FinishExtensible().status());
  }

  // PEHeader ::= SEQUENCE { mandated NULL OPTIONAL, identification UInt15 }
  absl::Status DecodePeHeader(der::Reader& r, ProfileElement* pe) {
    auto header = r.Enter(Ctx(0, true), "PEHeader");
    RETURN_IF_ERROR(Wrap("", header.status()));
    auto mandated = header->Optional(Ctx(0));
    RETURN_IF_ERROR(Wrap("PEHeader", mandated.status()));
    if (mandated->has_value()) {
      if (!(*mandated)->value.empty()) {
        return PeError("PEHeader.mandated", "NULL with contents");
      }
      pe->mandated = true;
    }
    ASSIGN_OR_RETURN(pe->identification,
                     UInt(*header, Ctx(1), "identification", 32767));
    return Wrap("PEHeader", header->FinishExtensible().status());
  }

  // PE-MF, PE-USIM, PE-OPT-USIM, PE-IoT: PEHeader, templateID [1] OID, then
  // File fields [2].. in ASN.1 order (strictly increasing tag numbers).
  struct Wanted {
    uint32_t field;
    std::vector<FileLocation>* out;
  };
  absl::Status DecodeFileSystemPe(der::Reader& r,
                                  std::initializer_list<Wanted> wanted) {
    auto template_id = r.Next(Ctx(1), "templateID");
    RETURN_IF_ERROR(Wrap("", template_id.status()));
    RETURN_IF_ERROR(Wrap("templateID",
                         der::Oid::FromContents(template_id->value).status()));
    uint32_t last = 1;
    while (!r.AtEnd()) {
      ASSIGN_OR_RETURN(der::Tlv file, NextTlv(r, "file"));
      const uint32_t number = der::TagNumber(file.tag);
      const std::string field = absl::StrCat("field [", number, "]");
      if (der::TagClassOf(file.tag) != der::TagClass::kContextSpecific ||
          !file.constructed()) {
        return PeError(field, absl::StrCat("tag ", der::TagToString(file.tag),
                                           " is not a File"));
      }
      if (number <= last) {
        return PeError(field, "out of order or repeated");
      }
      last = number;
      ASSIGN_OR_RETURN(FileLocation loc, DecodeFile(file, field));
      for (const Wanted& w : wanted) {
        if (w.field == number) w.out->push_back(loc);
      }
    }
    return absl::OkStatus();
  }

  // File ::= SEQUENCE OF CHOICE { doNotCreate [0] NULL, fileDescriptor [1]
  // Fcp, fillFileOffset [2] UInt16, fillFileContent [3] OCTET STRING }
  absl::StatusOr<FileLocation> DecodeFile(const der::Tlv& file,
                                          absl::string_view field) {
    FileLocation loc;
    loc.pe_index = pe_index_;
    loc.file = RangeOf(file.raw);
    der::Reader r(file.value, 2, "File");
    bool offset_seen = false;
    while (!r.AtEnd()) {
      ASSIGN_OR_RETURN(der::Tlv e, NextTlv(r, field));
      if (e.tag == Ctx(0)) {
        if (!e.value.empty())
          return PeError(field, "doNotCreate with contents");
      } else if (e.tag == Ctx(1, true)) {
        if (loc.fcp.has_value()) return PeError(field, "two fileDescriptors");
        loc.fcp = RangeOf(e.raw);
        RETURN_IF_ERROR(DecodeFcp(e, field, &loc));
      } else if (e.tag == Ctx(2)) {
        ++loc.fill_elements;
        auto offset = der::DecodeNonNegativeInteger(e.value);
        if (!offset.ok() || *offset > 65535) {
          return PeError(field, "fillFileOffset is not a UInt16");
        }
        if (*offset > 0) offset_seen = true;
      } else if (e.tag == Ctx(3)) {
        ++loc.fill_elements;
        if (!loc.content.has_value() && !offset_seen) loc.content = Loc(e);
        offset_seen = true;  // later contents follow this one
      } else {
        return PeError(
            field, absl::StrCat("unexpected tag ", der::TagToString(e.tag)));
      }
    }
    return loc;
  }

  // Fcp: only fileDescriptor [2] is read (for the record length).
  absl::Status DecodeFcp(const der::Tlv& fcp, absl::string_view field,
                         FileLocation* loc) {
    der::Reader r(fcp.value, 3, "Fcp");
    while (!r.AtEnd()) {
      ASSIGN_OR_RETURN(der::Tlv e, NextTlv(r, field));
      if (e.tag != Ctx(2)) continue;
      absl::string_view fd = e.value;
      if (fd.size() < 2 || fd.size() > 4) {
        return PeError(field, "fileDescriptor must be 2 to 4 bytes");
      }
      const uint8_t structure = static_cast<uint8_t>(fd[0]) & 0x07;
      const bool record_based = (static_cast<uint8_t>(fd[0]) & 0x38) != 0x38 &&
                                (structure == 0x02 || structure == 0x06);
      if (record_based && fd.size() >= 4) {
        loc->record_length =
            (static_cast<uint8_t>(fd[2]) << 8) | static_cast<uint8_t>(fd[3]);
      }
    }
    return absl::OkStatus();
  }

  // PE-PINCodes ::= SEQUENCE { pin-Header, pinCodes [1] CHOICE {
  //   pinconfig [0] SEQUENCE (SIZE (1..26)) OF PINConfiguration,
  //   filePath [1] OCTET STRING (SIZE (0..8)) } }
  absl::Status DecodePinCodes(der::Reader& r) {
    auto choice = r.Enter(Ctx(1, true), "pinCodes");
    RETURN_IF_ERROR(Wrap("", choice.status()));
    ASSIGN_OR_RETURN(der::Tlv alt, NextTlv(*choice, "pinCodes"));
    if (alt.tag == Ctx(1)) {
      if (alt.value.size() > 8) return PeError("filePath", "longer than 8");
    } else if (alt.tag == Ctx(0, true)) {
      der::Reader list(alt.value, 3, "pinconfig");
      size_t count = 0;
      while (!list.AtEnd()) {
        const std::string field = absl::StrCat("pinconfig[", count, "]");
        auto config = list.Enter(der::kSequence, "PINConfiguration");
        RETURN_IF_ERROR(Wrap(field, config.status()));
        ASSIGN_OR_RETURN(CodeLocation code, DecodeCode(*config, field));
        pkg_.pins.push_back(code);
        if (++count > 26) return PeError("pinconfig", "more than 26 PINs");
      }
      if (count == 0) return PeError("pinconfig", "empty");
    } else {
      return PeError("pinCodes", absl::StrCat("unexpected tag ",
                                              der::TagToString(alt.tag)));
    }
    RETURN_IF_ERROR(Wrap("pinCodes", choice->Finish()));
    return Wrap("", r.FinishExtensible().status());
  }

  // PE-PUKCodes ::= SEQUENCE { puk-Header, pukCodes [1] SEQUENCE
  //   (SIZE (1..16)) OF PUKConfiguration }
  absl::Status DecodePukCodes(der::Reader& r) {
    auto list = r.Enter(Ctx(1, true), "pukCodes");
    RETURN_IF_ERROR(Wrap("", list.status()));
    size_t count = 0;
    while (!list->AtEnd()) {
      const std::string field = absl::StrCat("pukCodes[", count, "]");
      auto config = list->Enter(der::kSequence, "PUKConfiguration");
      RETURN_IF_ERROR(Wrap(field, config.status()));
      ASSIGN_OR_RETURN(CodeLocation code, DecodeCode(*config, field));
      pkg_.puks.push_back(code);
      if (++count > 16) return PeError("pukCodes", "more than 16 PUKs");
    }
    if (count == 0) return PeError("pukCodes", "empty");
    return Wrap("", r.FinishExtensible().status());
  }

  // PINConfiguration / PUKConfiguration: keyReference [0], value [1]
  // OCTET STRING (SIZE (8)), then optional fields.
  absl::StatusOr<CodeLocation> DecodeCode(der::Reader& r,
                                          absl::string_view field) {
    CodeLocation code;
    code.pe_index = pe_index_;
    auto ref = r.Next(Ctx(0), "keyReference");
    RETURN_IF_ERROR(Wrap(field, ref.status()));
    auto ref_value = der::DecodeNonNegativeInteger(ref->value);
    if (!ref_value.ok() || *ref_value > 255) {
      return PeError(field, "keyReference is not 0..255");
    }
    code.key_reference = static_cast<uint32_t>(*ref_value);
    auto value = r.Next(Ctx(1), "value");
    RETURN_IF_ERROR(Wrap(field, value.status()));
    if (value->value.size() != kCodeValueSize) {
      return PeError(field, absl::StrCat("value is ", value->value.size(),
                                         " bytes, expected 8"));
    }
    code.value = Loc(*value);
    RETURN_IF_ERROR(Wrap(field, r.FinishExtensible().status()));
    return code;
  }

  // PE-AKAParameter ::= SEQUENCE { aka-header, algoConfiguration [1] CHOICE
  //   { mappingParameter [0], algoParameter [1] }, sqn... }
  // AlgoParameter ::= SEQUENCE { algorithmID [0], algorithmOptions [1]
  //   OCTET STRING (SIZE(1)), key [2], opc [3], ... }
  absl::Status DecodeAkaParameter(der::Reader& r) {
    auto choice = r.Enter(Ctx(1, true), "algoConfiguration");
    RETURN_IF_ERROR(Wrap("", choice.status()));
    ASSIGN_OR_RETURN(der::Tlv alt, NextTlv(*choice, "algoConfiguration"));
    if (alt.tag == Ctx(1, true)) {
      AlgorithmLocation algo;
      algo.pe_index = pe_index_;
      der::Reader a(alt.value, 3, "algoParameter");
      ASSIGN_OR_RETURN(algo.algorithm_id,
                       UInt(a, Ctx(0), "algoParameter.algorithmID", 255));
      auto options = a.Next(Ctx(1), "algorithmOptions");
      RETURN_IF_ERROR(Wrap("algoParameter", options.status()));
      if (options->value.size() != 1) {
        return PeError("algoParameter.algorithmOptions", "must be 1 byte");
      }
      auto key = a.Next(Ctx(2), "key");
      RETURN_IF_ERROR(Wrap("algoParameter", key.status()));
      auto opc = a.Next(Ctx(3), "opc");
      RETURN_IF_ERROR(Wrap("algoParameter", opc.status()));
      // 128 or 256 bits (TUAK); the usim-test-algorithm takes any.
      if (key->value.empty() || key->value.size() > 32 ||
          opc->value.size() > 32) {
        return PeError("algoParameter", "key or opc longer than 32 bytes");
      }
      algo.key = Loc(*key);
      algo.opc = Loc(*opc);
      RETURN_IF_ERROR(Wrap("algoParameter", a.FinishExtensible().status()));
      pkg_.algorithms.push_back(algo);
    } else if (alt.tag != Ctx(0, true)) {
      return PeError(
          "algoConfiguration",
          absl::StrCat("unexpected tag ", der::TagToString(alt.tag)));
    }
    RETURN_IF_ERROR(Wrap("algoConfiguration", choice->Finish()));
    return Wrap("", r.FinishExtensible().status());
  }

  // --- helpers --------------------------------------------------------------

  absl::StatusOr<der::Tlv> NextTlv(der::Reader& r, absl::string_view field) {
    auto tlv = r.Next();
    if (!tlv.ok()) return Wrap(field, tlv.status());
    return tlv;
  }

  // A mandatory INTEGER field in 0..max.
  absl::StatusOr<uint32_t> UInt(der::Reader& r, der::Tag tag,
                                absl::string_view field, int64_t max) {
    auto tlv = r.Next(tag, field);
    if (!tlv.ok()) return Wrap("", tlv.status());
    auto v = der::DecodeNonNegativeInteger(tlv->value);
    if (!v.ok()) return Wrap(field, v.status());
    if (*v > max) return PeError(field, absl::StrCat("above ", max));
    return static_cast<uint32_t>(*v);
  }

  absl::string_view upp_;
  const DecodeOptions& options_;
  ProfilePackage pkg_;
  size_t pe_index_ = 0;
  size_t pe_offset_ = 0;
  std::string pe_name_;
};

}  // namespace

std::string PeTypeName(PeType type) {
  static constexpr const char* kNames[] = {
      "header",
      "genericFileManagement",
      "pinCodes",
      "pukCodes",
      "akaParameter",
      "cdmaParameter",
      "securityDomain",
      "rfm",
      "application",
      "nonStandard",
      "end",
      "rfu1",
      "rfu2",
      "rfu3",
      "rfu4",
      "rfu5",
      "mf",
      "cd",
      "telecom",
      "usim",
      "opt-usim",
      "isim",
      "opt-isim",
      "phonebook",
      "gsm-access",
      "csim",
      "opt-csim",
      "eap",
      "df-5gs",
      "df-saip",
      "df-snpn",
      "df-5gprose",
      "iot",
      "opt-iot",
  };
  const uint32_t n = static_cast<uint32_t>(type);
  if (n <= kLastKnownPeType) return kNames[n];
  return absl::StrCat("unknown[", n, "]");
}

absl::StatusOr<ProfilePackage> DecodeProfilePackage(
    absl::string_view upp, const DecodeOptions& options) {
  return Decoder(upp, options).Run();
}

}  // namespace smdp::profiles::saip
