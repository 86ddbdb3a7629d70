using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Overlay.Lab.Internal;

/// <summary>One parsed HTTP/1.1 request.</summary>
internal sealed record LabHttpRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Path => Target.Split('?', 2)[0];

    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
}

/// <summary>One HTTP response.</summary>
internal sealed record LabHttpResponse(int Status, string ContentType, byte[] Body)
{
    public static LabHttpResponse Text(int status, string text, string contentType = "text/plain") => new(status, contentType, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// A small HTTP/1.1 server on a raw socket (no Kestrel, no HttpListener: AOT- and trimming-safe, binds
/// port 0 without races): keep-alive, Content-Length and chunked request bodies, Expect: 100-continue.
/// Listens on 127.0.0.1 by default.
/// </summary>
internal sealed class LabHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<LabHttpRequest, CancellationToken, Task<LabHttpResponse>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private readonly Lock _lock = new();

    public LabHttpServer(Func<LabHttpRequest, CancellationToken, Task<LabHttpResponse>> handler, IPAddress? address = null)
    {
        _handler = handler;
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        var local = (IPEndPoint)_listener.LocalEndpoint;
        Endpoint = new Uri($"http://{(local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{local.Address}]" : local.Address.ToString())}:{local.Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Endpoint { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            lock (_lock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffer = new List<byte>(8192);
        var chunk = new byte[8192];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                // Headers.
                int headerEnd;
                while ((headerEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
                {
                    int n = await stream.ReadAsync(chunk, _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, n));
                }

                string head = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray());
                buffer.RemoveRange(0, headerEnd + 4);
                string[] lines = head.Split("\r\n");
                string[] first = lines[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                    }
                }

                if (headers.TryGetValue("Expect", out string? expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token).ConfigureAwait(false);
                }

                byte[] body;
                if (headers.TryGetValue("Transfer-Encoding", out string? te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    var collected = new List<byte>();
                    while (true)
                    {
                        int lineEnd;
                        while ((lineEnd = IndexOf(buffer, "\r\n"u8)) < 0)
                        {
                            int n = await stream.ReadAsync(chunk, _stop.Token).ConfigureAwait(false);
                            if (n == 0)
                            {
                                return;
                            }

                            buffer.AddRange(chunk.AsSpan(0, n));
                        }

                        int size = int.Parse(Encoding.ASCII.GetString(buffer.GetRange(0, lineEnd).ToArray()).Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        buffer.RemoveRange(0, lineEnd + 2);
                        await FillAsync(stream, buffer, chunk, size + 2).ConfigureAwait(false);
                        collected.AddRange(buffer.GetRange(0, size));
                        buffer.RemoveRange(0, size + 2);
                        if (size == 0)
                        {
                            break;
                        }
                    }

                    body = [.. collected];
                }
                else
                {
                    int length = headers.TryGetValue("Content-Length", out string? cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
                    if (!await FillAsync(stream, buffer, chunk, length).ConfigureAwait(false))
                    {
                        return;
                    }

                    body = buffer.GetRange(0, length).ToArray();
                    buffer.RemoveRange(0, length);
                }

                var request = new LabHttpRequest(first[0], first.Length > 1 ? first[1] : "/", headers, body);
                LabHttpResponse response = await _handler(request, _stop.Token).ConfigureAwait(false);
                string reason = response.Status switch { 200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", 405 => "Method Not Allowed", 503 => "Service Unavailable", _ => "Status" };
                byte[] responseHead = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {response.Status} {reason}\r\nContent-Type: {response.ContentType}\r\nContent-Length: {response.Body.Length}\r\nDate: {DateTimeOffset.UtcNow:R}\r\n\r\n");
                await stream.WriteAsync(responseHead, _stop.Token).ConfigureAwait(false);
                await stream.WriteAsync(response.Body, _stop.Token).ConfigureAwait(false);
                if (headers.TryGetValue("Connection", out string? connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or FormatException)
        {
            // the client went away, the request was malformed, or the server stops
        }
    }

    private async Task<bool> FillAsync(NetworkStream stream, List<byte> buffer, byte[] chunk, int count)
    {
        while (buffer.Count < count)
        {
            int n = await stream.ReadAsync(chunk, _stop.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            buffer.AddRange(chunk.AsSpan(0, n));
        }

        return true;
    }

    private static int IndexOf(List<byte> buffer, ReadOnlySpan<byte> pattern)
    {
        for (int i = 0; i + pattern.Length <= buffer.Count; i++)
        {
            bool match = true;
            for (int j = 0; j < pattern.Length && match; j++)
            {
                match = buffer[i + j] == pattern[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll([_accepting, .. connections]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }
}
