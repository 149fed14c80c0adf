// smdpctl's Admin commands: health and the profile inventory of a running
// smdpd, over gRPC (smdp.admin.Admin, grpc.health.v1.Health) with the
// connection of ctl/client.h (dev files: the smdp-admin client certificate).
// Each returns smdpctl's exit code: 0, or 1 after printing the error as one
// "smdpctl: ..." line on stderr (ctl::Fail), connection errors included.
#ifndef SMDP_CTL_ADMIN_COMMANDS_H_
#define SMDP_CTL_ADMIN_COMMANDS_H_

#include <string>
#include <vector>

#include "smdp/ctl/client.h"

namespace smdp::ctl {

// smdpctl health [--addr=HOST:PORT]
// gRPC health of smdpd: prints the serving status (SERVING, NOT_SERVING,
// ...); exit code 0 only when SERVING. A failed call is "<addr>: <error>".
int Health(const ConnectionOptions& connection);

// smdpctl info [--addr=HOST:PORT]
// Prints smdpd's "smdp_address: ", "version: ", "crypto_provider: " and
// "identities: " (comma separated), a line each. A failed call is
// "<addr>: <error>".
int Info(const ConnectionOptions& connection);

// The batch of `profiles import` and its profiles' metadata (the flags of
// the same names).
struct ImportOptions {
  std::string batch;
  std::string operator_id;
  std::string type;
  std::string template_file;  // SAIP template, DER
  std::string csv;            // subscribers
  bool no_ppk = false;
  std::string spn;
  std::string profile_name;
  std::string profile_class;
  std::string notification_address;
  std::string owner;  // MCC+MNC
  std::vector<std::string> ppr;
};

// smdpctl profiles import --batch=ID --operator_id=OP --type=TYPE
//     --template_file=UPP.der --csv=SUBSCRIBERS.csv [--no_ppk] [--spn=NAME]
//     [--profile_name=NAME] [--profile_class=operational]
//     [--notification_address=FQDN] [--owner=MCCMNC] [--ppr=ppr1,ppr2]
// Streams the batch to ImportBatch (all or nothing; no deadline), with a
// progress bar on stderr (a line per 10% when stderr is no terminal); the
// same command again resumes an interrupted import. Prints
//   batch <ID>: <N> profiles imported
// or fails with "import failed: <the server's errors, on one line>".
int ProfilesImport(const ConnectionOptions& connection,
                   const ImportOptions& options);

// The filters and paging of `profiles list`.
struct ListOptions {
  std::string state;
  std::string type;
  std::string batch;
  std::string operator_id;
  int page_size = 100;
  bool all = false;  // every page, not just the first
};

// smdpctl profiles list [--state=S] [--type=T] [--batch=ID]
//     [--operator_id=OP] [--page_size=N] [--all]
// Prints a header line and a line per profile (ICCID, state, operator, type,
// batch, in columns); "(more: --all)" when only the first of several pages
// was listed. A failed call is "list failed: <error>".
int ProfilesList(const ConnectionOptions& connection,
                 const ListOptions& options);

// smdpctl profiles show ICCID
// Prints the profile's state and metadata as "name: value" lines, then
// "history:" and a line per transition ("  <UTC time> <actor> <action>
// <from> -> <to> [(<detail>)]"). A failed call is "<ICCID>: <error>".
int ProfilesShow(const ConnectionOptions& connection, const std::string& iccid);

// smdpctl profiles batch ID
// Prints a batch's status as "name: value" lines (batch, state, operator,
// type, expected, staged, ppk_protected, source). A failed call is
// "batch <ID>: <error>".
int ProfilesBatch(const ConnectionOptions& connection, const std::string& id);

}  // namespace smdp::ctl

#endif  // SMDP_CTL_ADMIN_COMMANDS_H_
