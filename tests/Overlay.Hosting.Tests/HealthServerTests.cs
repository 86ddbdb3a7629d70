using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Hosting.Internal;

namespace Overlay.Hosting.Tests;

public sealed class HealthServerTests
{
    [Fact]
    public async Task Answers_healthz_and_readyz_with_flannels_texts_over_http()
    {
        bool ready = false;
        await using HealthServer server = HealthServer.Start(new IPEndPoint(IPAddress.Loopback, 0), null, () => ready, NullLogger.Instance);

        Assert.Equal("HTTP/1.1 200 OK|flanneld is running", await GetAsync(server.Endpoint, "/healthz"));
        Assert.Equal("HTTP/1.1 503 Service Unavailable|flanneld is not ready yet", await GetAsync(server.Endpoint, "/readyz"));
        ready = true;
        Assert.Equal("HTTP/1.1 200 OK|flanneld is ready", await GetAsync(server.Endpoint, "/readyz?verbose"));
        Assert.Equal("HTTP/1.1 404 Not Found|404 page not found", await GetAsync(server.Endpoint, "/metrics"));
        Assert.Equal("HTTP/1.1 200 OK|flanneld is running", await GetAsync(server.Endpoint, "/healthz", method: "HEAD"));
    }

    [Fact]
    public async Task A_not_ready_answer_carries_the_reason_on_the_line_after_flannels_text()
    {
        bool ready = false;
        await using HealthServer server = HealthServer.Start(new IPEndPoint(IPAddress.Loopback, 0), null, () => ready, NullLogger.Instance,
            () => ready ? null : "reading the network configuration; NetworkConfigMissing: there is no key /coreos.com/network/config");

        Assert.Equal("HTTP/1.1 503 Service Unavailable|flanneld is not ready yet\nreading the network configuration; NetworkConfigMissing: there is no key /coreos.com/network/config",
            await GetAsync(server.Endpoint, "/readyz"));
        ready = true;
        Assert.Equal("HTTP/1.1 200 OK|flanneld is ready", await GetAsync(server.Endpoint, "/readyz"));
    }

    [Fact]
    public async Task Malformed_request_gets_400()
    {
        await using HealthServer server = HealthServer.Start(new IPEndPoint(IPAddress.Loopback, 0), null, () => true, NullLogger.Instance);
        Assert.Equal("HTTP/1.1 400 Bad Request|bad request", await SendAsync(server.Endpoint, "garbage\r\n\r\n"));
    }

    [Fact]
    public async Task A_busy_port_fails_the_start()
    {
        await using HealthServer first = HealthServer.Start(new IPEndPoint(IPAddress.Loopback, 0), null, () => true, NullLogger.Instance);
        Assert.Throws<SocketException>(() => HealthServer.Start(first.Endpoint, null, () => true, NullLogger.Instance));
    }

    internal static Task<string> GetAsync(IPEndPoint endpoint, string path, string method = "GET") =>
        SendAsync(endpoint, $"{method} {path} HTTP/1.1\r\nHost: {endpoint}\r\nUser-Agent: test\r\n\r\n");

    /// <summary>Sends a raw request and returns "status line|body".</summary>
    internal static async Task<string> SendAsync(IPEndPoint endpoint, string request, Socket? socket = null)
    {
        using Socket client = socket ?? new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endpoint, TestContext.Current.CancellationToken);
        await client.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, TestContext.Current.CancellationToken);
        var response = new MemoryStream();
        byte[] buffer = new byte[1024];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask().Guard()) > 0)
        {
            response.Write(buffer, 0, n);
        }

        string text = Encoding.UTF8.GetString(response.ToArray());
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string status = text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
        return status + "|" + text[(split + 4)..];
    }
}
