using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;

namespace Overlay.Hosting.Internal;

/// <summary>
/// flanneld's health endpoints (spec control-plane §4.7) on a plain socket with a minimal HTTP/1.1
/// responder (no HttpListener, AOT-safe): <c>/healthz</c> answers 200 <c>flanneld is running</c>,
/// <c>/readyz</c> 200 <c>flanneld is ready</c> or 503 <c>flanneld is not ready yet</c>, any method.
/// The socket is created inside the node's namespace when one is given.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    public const string HealthyText = "flanneld is running";
    public const string ReadyText = "flanneld is ready";
    public const string NotReadyText = "flanneld is not ready yet";
    private const int MaxRequestBytes = 8192;
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    private readonly Socket _listener;
    private readonly Func<bool> _isReady;
    private readonly Func<string?>? _notReadyReason;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    private HealthServer(Socket listener, Func<bool> isReady, Func<string?>? notReadyReason, ILogger logger)
    {
        _listener = listener;
        _isReady = isReady;
        _notReadyReason = notReadyReason;
        _logger = logger;
        Endpoint = (IPEndPoint)listener.LocalEndPoint!;
        _accept = AcceptLoopAsync(_stop.Token);
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>Binds and listens; throws when the port is taken (flanneld crashes then, too). When
    /// <paramref name="notReadyReason"/> gives a reason, a 503 from <c>/readyz</c> carries it on a second line
    /// after flannel's text.</summary>
    public static HealthServer Start(IPEndPoint endpoint, NetworkNamespace? ns, Func<bool> isReady, ILogger logger, Func<string?>? notReadyReason = null)
    {
        Socket socket = ns is null
            ? new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : ns.CreateSocket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone (Socket.ReuseAddress would add SO_REUSEPORT, letting two servers share
            // the port): a restart is not blocked by TIME_WAIT connections, a second server still is.
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            socket.Listen(32);
            return new HealthServer(socket, isReady, notReadyReason, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                Log.HealthRequestFailed(_logger, ex);
                continue;
            }

            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                string? path = await ReadRequestPathAsync(client, timeout.Token).ConfigureAwait(false);
                (int status, string body) = Respond(path);
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string reason = status switch { 200 => "OK", 503 => "Service Unavailable", 400 => "Bad Request", _ => "Not Found" };
                string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await client.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                await client.SendAsync(payload, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    Log.HealthRequestFailed(_logger, ex);
                }
            }
        }
    }

    internal (int Status, string Body) Respond(string? path)
    {
        if (path is null)
        {
            return (400, "bad request");
        }

        int query = path.IndexOfAny(['?', '#']);
        if (query >= 0)
        {
            path = path[..query];
        }

        return path switch
        {
            "/healthz" => (200, HealthyText),
            "/readyz" => _isReady() ? (200, ReadyText) : (503, _notReadyReason?.Invoke() is { Length: > 0 } reason ? NotReadyText + "\n" + reason : NotReadyText),
            _ => (404, "404 page not found"),
        };
    }

    /// <summary>Reads the request head and returns the request-target of its first line, or null when malformed.</summary>
    private static async Task<string?> ReadRequestPathAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            length += n;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0 || buffer.AsSpan(0, length).IndexOf("\n\n"u8) >= 0)
            {
                break;
            }
        }

        string head = Encoding.ASCII.GetString(buffer, 0, length);
        int end = head.IndexOf('\n', StringComparison.Ordinal);
        string line = (end >= 0 ? head[..end] : head).TrimEnd('\r');
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[1].StartsWith('/') ? parts[1] : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _accept.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
