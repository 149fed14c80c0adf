#include "profiles/saip/template_builder.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
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
constexpr der::Tag Pe(PeType type) {
  return der::ContextTag(static_cast<uint32_t>(type), true);
}

// Template OIDs (SAIP annex A): 2.23.143.1.2.n.
constexpr absl::string_view kIdMf = "2.23.143.1.2.1";
constexpr absl::string_view kIdUsim = "2.23.143.1.2.4";
constexpr absl::string_view kIdOptUsim = "2.23.143.1.2.5";

// USIM AID: RID A000000087, application 1002, then operator-chosen bytes.
constexpr absl::string_view kUsimAidHex = "a0000000871002ff33ff018900000100";
// MNO-SD: ELF, class and instance AIDs (GlobalPlatform).
constexpr absl::string_view kSdPackageAidHex = "a0000001515350";
constexpr absl::string_view kSdClassAidHex = "a000000151535041";
constexpr absl::string_view kSdInstanceAidHex = "a000000151000000";

constexpr size_t kMsisdnRecordLength = 28;
constexpr size_t kFillerFileMax = 32 * 1024;
constexpr size_t kFillerChunk = 4096;

std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::string Oid(absl::string_view dotted) {
  // The constants above are valid.
  return der::Oid::FromString(dotted)->contents();
}

// Minimal big-endian unsigned bytes (at least one), as efFileSize wants.
std::string MinimalBytes(size_t v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>(v & 0xFF));
    v >>= 8;
  } while (v != 0);
  return out;
}

void PeHeader(der::Writer& w, int64_t* id) {
  w.Constructed(Ctx(0, true),
                [&](der::Writer& w) { w.AddInteger((*id)++, Ctx(1)); });
}

// A File with only a fillFileContent (template defaults for the rest).
void ContentFile(der::Writer& w, uint32_t field, absl::string_view content) {
  w.Constructed(Ctx(field, true),
                [&](der::Writer& w) { w.Add(Ctx(3), content); });
}
// A File created with the template's defaults.
void DefaultFile(der::Writer& w, uint32_t field) {
  w.Add(Ctx(field, true), "");
}

void CodeConfig(der::Writer& w, uint32_t key_reference, absl::string_view value,
                int64_t unblocking_reference) {
  w.Constructed(der::kSequence, [&](der::Writer& w) {
    w.AddInteger(key_reference, Ctx(0));
    w.Add(Ctx(1), value);
    if (unblocking_reference >= 0) w.AddInteger(unblocking_reference, Ctx(2));
  });
}

std::string Filler(size_t n, size_t seed) {
  std::string out(n, '\0');
  uint32_t x = static_cast<uint32_t>(seed * 2654435761u + 12345);
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> BuildTemplate(const TemplateOptions& options) {
  const SubscriberData& v = options.values;
  std::string iccid = v.iccid;
  if (iccid.empty()) {
    iccid = "898821000000000000";
    iccid.push_back(static_cast<char>('0' + LuhnCheckDigit(iccid)));
  }
  ASSIGN_OR_RETURN(const std::string header_iccid, EncodeIccidHeader(iccid));
  ASSIGN_OR_RETURN(const std::string ef_iccid, EncodeIccidFile(iccid));
  ASSIGN_OR_RETURN(const std::string ef_imsi,
                   EncodeImsiFile(v.imsi.empty() ? "001010000000000" : v.imsi));
  std::string ki = v.ki.empty() ? std::string(16, '\0') : v.ki;
  std::string opc = v.opc.empty() ? std::string(16, '\0') : v.opc;
  const std::string acc = v.acc.empty() ? Bytes("0001") : v.acc;
  if (ki.size() != 16 && ki.size() != 32) {
    return absl::InvalidArgumentError("Ki must be 16 or 32 bytes");
  }
  if (opc.size() != 16 && opc.size() != 32) {
    return absl::InvalidArgumentError("OPc must be 16 or 32 bytes");
  }
  if (acc.size() != kAccSize) {
    return absl::InvalidArgumentError("ACC must be 2 bytes");
  }
  auto code = [](const std::string& digits, absl::string_view fallback,
                 size_t min) {
    return EncodeCodeValue(digits.empty() ? fallback : digits, min);
  };
  ASSIGN_OR_RETURN(std::string pin1, code(v.pin1, "0000", 4));
  ASSIGN_OR_RETURN(std::string pin2, code(v.pin2, "0000", 4));
  ASSIGN_OR_RETURN(std::string puk1, code(v.puk1, "00000000", 8));
  ASSIGN_OR_RETURN(std::string puk2, code(v.puk2, "00000000", 8));
  std::string adm1 = v.adm1.empty() ? std::string("00000000") : v.adm1;
  if (adm1.size() != kCodeValueSize) {
    return absl::InvalidArgumentError("ADM1 value must be 8 bytes");
  }
  std::string msisdn_record(kMsisdnRecordLength, '\xFF');
  if (!v.msisdn.empty()) {
    ASSIGN_OR_RETURN(msisdn_record,
                     EncodeMsisdnRecord(v.msisdn, kMsisdnRecordLength));
  }
  uint32_t service_tag = 0;     // ServicesList: milenage [4], tuak128 [5],
  switch (options.algorithm) {  // usim-test-algorithm [17]
    case kAlgorithmMilenage:
      service_tag = 4;
      break;
    case kAlgorithmTuak:
      service_tag = 5;
      break;
    case kAlgorithmUsimTest:
      service_tag = 17;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown algorithm ", options.algorithm));
  }
  const std::string usim_aid = Bytes(kUsimAidHex);

  der::Writer w(4096 + options.filler_bytes + options.filler_bytes / 64);
  int64_t id = 1;

  // ProfileHeader.
  w.Constructed(Pe(PeType::kHeader), [&](der::Writer& w) {
    w.AddInteger(2, Ctx(0));
    w.AddInteger(3, Ctx(1));
    w.Add(Ctx(2), options.profile_type);
    w.Add(Ctx(3), header_iccid);
    w.Constructed(Ctx(5, true), [&](der::Writer& w) {
      w.Add(Ctx(1), "");  // usim
      w.Add(Ctx(service_tag), "");
    });
    w.Constructed(Ctx(6, true), [&](der::Writer& w) {
      w.Add(der::kObjectIdentifier, Oid(kIdMf));
      w.Add(der::kObjectIdentifier, Oid(kIdUsim));
      if (options.msisdn_file) {
        w.Add(der::kObjectIdentifier, Oid(kIdOptUsim));
      }
    });
  });

  // MF: mf [2], ef-iccid [4], ef-dir [5], ef-arr [6].
  w.Constructed(Pe(PeType::kMf), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Add(Ctx(1), Oid(kIdMf));
    w.Constructed(Ctx(2, true), [&](der::Writer& w) {
      w.Constructed(Ctx(1, true), [&](der::Writer& w) {
        w.Add(Ctx(11), Bytes("2f0601"));  // securityAttributesReferenced
        w.Add(der::PrivateTag(6), Bytes("010a"));  // pinStatusTemplateDO
      });
    });
    ContentFile(w, 4, ef_iccid);
    // EF.DIR: one application template {AID, label "USIM"}.
    std::string dir =
        der::EncodeTlv(der::ApplicationTag(1, true),
                       der::EncodeTlv(der::ApplicationTag(15), usim_aid) +
                           der::EncodeTlv(der::ApplicationTag(16), "USIM"));
    ContentFile(w, 5, dir);
    ContentFile(
        w, 6, Bytes("8001019000800102a406830101950108800158a40683010a950108"));
  });

  // PUKs, then the MF's PINs.
  w.Constructed(Pe(PeType::kPukCodes), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Constructed(Ctx(1, true), [&](der::Writer& w) {
      CodeConfig(w, kKeyRefPuk1, puk1, -1);
      CodeConfig(w, kKeyRefPuk2, puk2, -1);
    });
  });
  w.Constructed(Pe(PeType::kPinCodes), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Constructed(Ctx(1, true), [&](der::Writer& w) {
      w.Constructed(Ctx(0, true), [&](der::Writer& w) {
        CodeConfig(w, kKeyRefPin1, pin1, kKeyRefPuk1);
        CodeConfig(w, kKeyRefAdm1, adm1, -1);
      });
    });
  });

  // USIM: adf-usim [2], ef-imsi [3], ef-arr [4], ef-ust [8], ef-spn [13],
  // ef-est [14], ef-acc [18], ef-ecc [22].
  w.Constructed(Pe(PeType::kUsim), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Add(Ctx(1), Oid(kIdUsim));
    w.Constructed(Ctx(2, true), [&](der::Writer& w) {
      w.Constructed(Ctx(1, true), [&](der::Writer& w) {
        w.Add(Ctx(3), Bytes("7fd0"));  // temporary file ID
        w.Add(Ctx(4), usim_aid);       // dfName
        w.Add(Ctx(11), Bytes("2f0601"));
        w.Add(der::PrivateTag(6), Bytes("810a"));
      });
    });
    ContentFile(w, 3, ef_imsi);
    DefaultFile(w, 4);
    DefaultFile(w, 8);
    DefaultFile(w, 13);
    DefaultFile(w, 14);
    ContentFile(w, 18, acc);
    DefaultFile(w, 22);
  });

  // OPT-USIM: ef-msisdn [7], linear fixed.
  if (options.msisdn_file) {
    w.Constructed(Pe(PeType::kOptUsim), [&](der::Writer& w) {
      PeHeader(w, &id);
      w.Add(Ctx(1), Oid(kIdOptUsim));
      w.Constructed(Ctx(7, true), [&](der::Writer& w) {
        w.Constructed(Ctx(1, true), [&](der::Writer& w) {
          std::string fd = Bytes("42210000");
          fd[3] = static_cast<char>(kMsisdnRecordLength);
          w.Add(Ctx(2), fd);             // fileDescriptor
          w.Add(Ctx(3), Bytes("6f40"));  // fileID
          w.Add(Ctx(11), Bytes("6f0604"));
          w.Add(Ctx(0), MinimalBytes(kMsisdnRecordLength));  // efFileSize
        });
        if (options.msisdn_content) w.Add(Ctx(3), msisdn_record);
      });
    });
  }

  // The ADF's PIN2.
  w.Constructed(Pe(PeType::kPinCodes), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Constructed(Ctx(1, true), [&](der::Writer& w) {
      w.Constructed(Ctx(0, true), [&](der::Writer& w) {
        CodeConfig(w, kKeyRefPin2, pin2, kKeyRefPuk2);
      });
    });
  });

  w.Constructed(Pe(PeType::kAkaParameter), [&](der::Writer& w) {
    PeHeader(w, &id);
    w.Constructed(Ctx(1, true), [&](der::Writer& w) {
      w.Constructed(Ctx(1, true), [&](der::Writer& w) {
        w.AddInteger(options.algorithm, Ctx(0));
        w.Add(Ctx(1), std::string(1, '\0'));  // algorithmOptions
        w.Add(Ctx(2), ki);
        w.Add(Ctx(3), opc);
      });
    });
  });

  if (options.filler_bytes > 0) {
    // PE-GenericFileManagement: fileManagementCMD [1] SEQUENCE OF
    // FileManagement (SEQUENCE OF CHOICE {filePath [0], createFCP
    // [APPLICATION 2], fillFileOffset INTEGER, fillFileContent [1]}).
    w.Constructed(Pe(PeType::kGenericFileManagement), [&](der::Writer& w) {
      PeHeader(w, &id);
      w.Constructed(Ctx(1, true), [&](der::Writer& w) {
        w.Constructed(der::kSequence, [&](der::Writer& w) {
          size_t left = options.filler_bytes;
          for (size_t file = 0; left > 0; ++file) {
            const size_t size = std::min(left, kFillerFileMax);
            left -= size;
            w.Add(Ctx(0), "");  // filePath: the MF
            w.Constructed(der::ApplicationTag(2, true), [&](der::Writer& w) {
              w.Add(Ctx(2), Bytes("4121"));  // transparent EF
              std::string fid = Bytes("2f10");
              fid[1] = static_cast<char>(0x10 + file);
              w.Add(Ctx(3), fid);
              w.Add(Ctx(11), Bytes("2f0601"));
              w.Add(Ctx(0), MinimalBytes(size));
            });
            const std::string content = Filler(size, file);
            for (size_t at = 0; at < size; at += kFillerChunk) {
              w.Add(Ctx(1),
                    absl::string_view(content).substr(at, kFillerChunk));
            }
          }
        });
      });
    });
  }

  if (options.security_domain) {
    w.Constructed(Pe(PeType::kSecurityDomain), [&](der::Writer& w) {
      PeHeader(w, &id);
      w.Constructed(Ctx(1, true), [&](der::Writer& w) {  // instance
        w.Add(der::ApplicationTag(15), Bytes(kSdPackageAidHex));
        w.Add(der::ApplicationTag(15), Bytes(kSdClassAidHex));
        w.Add(der::ApplicationTag(15), Bytes(kSdInstanceAidHex));
        w.Add(Ctx(2), Bytes("82dc00"));  // privileges
        w.Add(Ctx(3), Bytes("0f"));      // lifeCycleState
        w.Add(der::PrivateTag(9), Bytes("810280008201f0"));
      });
      w.Constructed(Ctx(2, true), [&](der::Writer& w) {  // keyList
        for (int key_id = 1; key_id <= 3; ++key_id) {
          w.Constructed(der::kSequence, [&](der::Writer& w) {
            w.Add(Ctx(21), Bytes(key_id == 3   ? "48"
                                 : key_id == 2 ? "14"
                                               : "18"));
            w.Add(Ctx(2), std::string(1, static_cast<char>(key_id)));
            w.Add(Ctx(3), Bytes("01"));
            w.Constructed(der::kSequence, [&](der::Writer& w) {
              w.Constructed(der::kSequence, [&](der::Writer& w) {
                w.Add(Ctx(0), Bytes("88"));  // AES
                w.Add(Ctx(6), Filler(16, 100 + key_id));
              });
            });
          });
        }
      });
    });
  }

  w.Constructed(Pe(PeType::kEnd), [&](der::Writer& w) { PeHeader(w, &id); });
  std::string out = std::move(w).Finish();
  WipeSecret(&ki);
  WipeSecret(&opc);
  WipeSecret(&pin1);
  WipeSecret(&pin2);
  WipeSecret(&puk1);
  WipeSecret(&puk2);
  WipeSecret(&adm1);
  return out;
}

}  // namespace smdp::profiles::saip
