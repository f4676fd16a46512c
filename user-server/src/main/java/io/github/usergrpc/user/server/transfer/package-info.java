/**
 * The export file of {@code user-server export} and {@code user-server import}: {@link
 * io.github.usergrpc.user.server.transfer.ExportFileWriter} writes what a {@link
 * io.github.usergrpc.user.service.store.StoreExport} hands over, {@link
 * io.github.usergrpc.user.server.transfer.ExportFileReader} checks a file and loads it into a {@link
 * io.github.usergrpc.user.service.store.StoreImport}. The format (length-delimited protobuf records, a header
 * and a trailer with counts and a SHA-256) is defined and documented in {@code store_export.proto}, whose
 * generated classes are in the {@code v1} subpackage.
 *
 * <p><b>Internal.</b> The file format is documented for operators in the README; these classes serve the
 * command line only.
 */
package io.github.usergrpc.user.server.transfer;
