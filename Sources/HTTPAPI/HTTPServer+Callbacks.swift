import CMicroHTTPD
import Foundation
import Logging

// SAFETY: the two C callbacks of libmicrohttpd. `context` is the retained HTTPServer.Box (released in stop(), after
// every offloaded request completed and MHD_stop_daemon returned); `requestState` holds a retained PendingRequest
// from the call that made it until requestCompleted. They live outside main.swift on purpose: top-level functions
// there would be main-actor isolated and trap when MHD's threads call them.

let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadSize, requestState in
    guard let context, let connection, let url, let method, let uploadSize, let requestState else { return .NO }
    let box = Unmanaged<HTTPServer.Box>.fromOpaque(context).takeUnretainedValue()
    cmhd_renice_thread_once(Int32(box.niceness))
    guard let state = requestState.pointee else {
        // The first call, with the headers only. Answering now would make MHD close the connection (it cannot know
        // that no body follows), so every keep-alive poller would reconnect: the answer waits for the next call. A
        // request without a body keeps no state of its own meanwhile, only a marker.
        requestState.pointee = hasBody(connection)
            ? Unmanaged.passRetained(HTTPServer.PendingRequest(started: .now)).toOpaque() : noBodyMarker
        return .YES
    }
    if state == noBodyMarker {
        let started = ContinuousClock.now
        let method = String(cString: method), path = String(cString: url)
        let route = box.route(method, path)
        let request = HTTPRequest(method: method, path: path, query: values(connection, .GET_ARGUMENT_KIND),
                                  headers: headers(connection), route: route)
        if route.placement == .eventLoop {
            requestState.pointee = nil
            return queue(box.answer(request, started: started), on: connection)
        }
        let pending = HTTPServer.PendingRequest(started: started)
        requestState.pointee = Unmanaged.passRetained(pending).toOpaque()
        return offload(request, pending, box, connection)
    }
    let pending = Unmanaged<HTTPServer.PendingRequest>.fromOpaque(state).takeUnretainedValue()
    if let response = pending.response {
        // Called again after a worker resumed the connection.
        return queue(response, on: connection)
    }
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
    let methodText = String(cString: method), path = String(cString: url)
    let route = box.route(methodText, path)
    let request = HTTPRequest(
        method: methodText, path: path, query: values(connection, .GET_ARGUMENT_KIND), headers: headers(connection),
        body: pending.body, bodyTooLarge: pending.tooLarge, route: route)
    if route.placement == .eventLoop {
        return queue(box.answer(request, started: pending.started), on: connection)
    }
    return offload(request, pending, box, connection)
}

/// The handler may wait: it runs off the event loop, the connection suspended until its answer is there.
private func offload(_ request: HTTPRequest, _ pending: HTTPServer.PendingRequest, _ box: HTTPServer.Box,
                     _ connection: OpaquePointer) -> MHD_Result {
    pending.offloaded = true
    box.offloaded.enter()
    MHD_suspend_connection(connection)
    let suspended = SuspendedConnection(connection: connection)
    Thread.detachNewThread {
        // A new thread inherits its creator's nice value: back to the daemon's (root may raise it; if not, the
        // operation only runs at the event loop's priority).
        _ = cmhd_renice_thread(-Int32(box.niceness))
        pending.response = box.answer(request, started: pending.started)
        MHD_resume_connection(suspended.connection)
    }
    return .YES
}

/// What the first call leaves for a request without a body: any address that is not a PendingRequest's.
// SAFETY: only compared, never dereferenced.
nonisolated(unsafe) private let noBodyMarker = UnsafeMutableRawPointer(bitPattern: 0x1)!

let requestCompleted: MHD_RequestCompletedCallback = { context, _, requestState, _ in
    guard let requestState, let state = requestState.pointee else { return }
    guard state != noBodyMarker else {
        requestState.pointee = nil
        return
    }
    let pending = Unmanaged<HTTPServer.PendingRequest>.fromOpaque(state).takeRetainedValue()
    requestState.pointee = nil
    if pending.offloaded, let context {
        Unmanaged<HTTPServer.Box>.fromOpaque(context).takeUnretainedValue().offloaded.leave()
    }
}

/// A suspended connection handed to the worker that answers it.
private struct SuspendedConnection: @unchecked Sendable {
    // SAFETY: MHD keeps a suspended connection alive until it is resumed; only the worker resumes it, once.
    let connection: OpaquePointer
}

/// Whether the request announces a body (RFC 9112: Content-Length other than 0, or a Transfer-Encoding).
private func hasBody(_ connection: OpaquePointer) -> Bool {
    if MHD_lookup_connection_value(connection, .HEADER_KIND, "Transfer-Encoding") != nil { return true }
    guard let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length") else { return false }
    return strcmp(length, "0") != 0
}

/// The headers the API reads (`HTTPRequest.headers`), looked up by name: a poll should not pay for copying every
/// header a client sends.
private func headers(_ connection: OpaquePointer) -> [String: String] {
    var found: [String: String] = [:]
    for name in HTTPRequest.headersRead {
        if let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) {
            found[name] = String(cString: value)
        }
    }
    return found
}

private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [String: String] {
    // Most requests have no query: counted without a callback, nothing is allocated for them.
    guard MHD_get_connection_values(connection, kind, nil, nil) > 0 else { return [:] }
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
