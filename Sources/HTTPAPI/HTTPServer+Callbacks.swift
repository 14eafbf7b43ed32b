import CMicroHTTPD
import Foundation
import Logging

// SAFETY: the two C callbacks of libmicrohttpd. `context` is the retained HTTPServer.Box (released in stop());
// `requestState` holds a retained PendingRequest from the first call for a request until requestCompleted.
// They live outside main.swift on purpose: top-level functions there would be main-actor isolated and trap when
// MHD's threads call them.

let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadSize, requestState in
    guard let context, let connection, let url, let method, let uploadSize, let requestState else { return .NO }
    if requestState.pointee == nil {
        requestState.pointee = Unmanaged.passRetained(HTTPServer.PendingRequest()).toOpaque()
        return .YES
    }
    let pending = Unmanaged<HTTPServer.PendingRequest>.fromOpaque(requestState.pointee!).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        // Keep reading past the limit (so the client sees an answer, not a reset) but do not keep the bytes.
        if let uploadData, pending.body.count + uploadSize.pointee <= Router.maxBodyBytes {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                pending.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
            }
        } else {
            pending.tooLarge = true
        }
        uploadSize.pointee = 0
        return .YES
    }
    let box = Unmanaged<HTTPServer.Box>.fromOpaque(context).takeUnretainedValue()
    let request = HTTPRequest(
        method: String(cString: method), path: String(cString: url), query: values(connection, .GET_ARGUMENT_KIND),
        headers: values(connection, .HEADER_KIND), body: pending.body, bodyTooLarge: pending.tooLarge)
    let response = box.handler(request)
    var logger = box.logger
    if let id = Router.deviceID(inPath: request.path) { logger[metadataKey: "ublk.dev_id"] = "\(id)" }
    let elapsed = ContinuousClock.now - pending.started
    logger.info("\(request.method) \(request.path) \(response.status)", metadata: [
        "http.duration_ms": "\((elapsed.milliseconds * 1000).rounded() / 1000)",
    ])
    box.observer?(request, response, elapsed)
    return queue(response, on: connection)
}

let requestCompleted: MHD_RequestCompletedCallback = { _, _, requestState, _ in
    guard let requestState, let state = requestState.pointee else { return }
    Unmanaged<HTTPServer.PendingRequest>.fromOpaque(state).release()
    requestState.pointee = nil
}

private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [String: String] {
    final class Collected {
        var values: [String: String] = [:]
    }
    let collected = Collected()
    let pointer = Unmanaged.passUnretained(collected).toOpaque()
    _ = MHD_get_connection_values(connection, kind, { context, _, key, value in
        guard let context, let key else { return .YES }
        let collected = Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue()
        collected.values[String(cString: key).lowercased()] = value.map { String(cString: $0) } ?? ""
        return .YES
    }, pointer)
    return collected.values
}

private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let created = response.body.withUnsafeBytes {
        MHD_create_response_from_buffer($0.count, UnsafeMutableRawPointer(mutating: $0.baseAddress),
                                        .RESPMEM_MUST_COPY)
    }
    guard let created else { return .NO }
    defer { MHD_destroy_response(created) }
    _ = MHD_add_response_header(created, "Content-Type", response.contentType)
    _ = MHD_add_response_header(created, "Cache-Control", "no-store")
    for (name, value) in response.headers { _ = MHD_add_response_header(created, name, value) }
    return MHD_queue_response(connection, UInt32(response.status), created)
}
