/*
 * One function for the connection budget: a TCP socket bound to a source IP with
 * IP_BIND_ADDRESS_NO_PORT set before bind().
 *
 * Node/libuv bind (ip, port 0) before connect(), which makes the kernel pick a port at bind time
 * that is exclusive to that source IP across every destination: S source IPs give only R x S
 * connections, and each bind searches for a free port (slow when many are taken). With
 * IP_BIND_ADDRESS_NO_PORT the port is chosen at connect() time, where only the 4-tuple must be
 * unique: R x S x D connections, and bound connects cost what unbound ones do.
 *
 * Node has no setsockopt API, hence this addon. It returns the fd; JS wraps it in a net.Socket
 * and connects it as usual.
 */
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static napi_value throw_errno(napi_env env, const char* syscall, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, message, error;
  /* Stable codes for the JS side (EADDRNOTAVAIL is back-pressure there). */
  const char* name = err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                   : err == EADDRINUSE    ? "EADDRINUSE"
                   : err == EMFILE        ? "EMFILE"
                   : err == ENFILE        ? "ENFILE"
                   : err == EINVAL        ? "EINVAL"
                   : "ESOCKET";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

/* boundSocket(ip: string): number — a non-blocking TCP socket fd bound to (ip, 0), port chosen at connect. */
static napi_value BoundSocket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "boundSocket(ip) needs an IP string");
    return NULL;
  }
  char ip[INET6_ADDRSTRLEN + 1];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "boundSocket(ip) needs an IP string");
    return NULL;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  int family;
  struct sockaddr_in* a4 = (struct sockaddr_in*)&ss;
  struct sockaddr_in6* a6 = (struct sockaddr_in6*)&ss;
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    family = AF_INET;
    a4->sin_family = AF_INET;
    sl = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    family = AF_INET6;
    a6->sin6_family = AF_INET6;
    sl = sizeof *a6;
  } else {
    napi_throw_type_error(env, NULL, "boundSocket: not an IP address");
    return NULL;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(IP_BIND_ADDRESS_NO_PORT)", err);
  }
  if (bind(fd, (struct sockaddr*)&ss, sl) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* closeFd(fd): for sockets that could not be handed to Node. */
static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return NULL;
}

/*
 * peekSocket(fd): what a kept-alive socket holds right now, without reading it: 0 nothing (alive),
 * 1 bytes pending, 2 the peer's FIN (EOF), 3 an error (a reset). One non-blocking recv(MSG_PEEK):
 * Node only learns of a FIN in a later event-loop turn than the read that carried the last
 * response byte, so a connection handed on in the same turn looks alive to JS alone.
 */
static napi_value PeekSocket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  int state = 0;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) {
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) state = 1;
    else if (n == 0) state = 2;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) state = 3;
  }
  napi_value result;
  napi_create_int32(env, state, &result);
  return result;
}

napi_value RegisterBindNoPort(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "boundSocket", NAPI_AUTO_LENGTH, BoundSocket, NULL, &fn);
  napi_set_named_property(env, exports, "boundSocket", fn);
  napi_create_function(env, "closeFd", NAPI_AUTO_LENGTH, CloseFd, NULL, &fn);
  napi_set_named_property(env, exports, "closeFd", fn);
  napi_create_function(env, "peekSocket", NAPI_AUTO_LENGTH, PeekSocket, NULL, &fn);
  napi_set_named_property(env, exports, "peekSocket", fn);
  return exports;
}
