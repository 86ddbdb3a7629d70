using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Overlay.Lab.Internal;

/// <summary>One parsed HTTP/1.1 request.</summary>
internal sealed record MiniHttpRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    public string? QueryValue(string name) => Query.TryGetValue(name, out string? value) ? value : null;
}

/// <summary>The few pieces of HTTP/1.1 the API server double needs: requests with a
/// <c>Content-Length</c> or chunked body, keep-alive, responses with a length and chunked streams.</summary>
internal static class MiniHttp
{
    private const int MaxHead = 64 * 1024;

    /// <summary>Reads one request; <see langword="null"/> when the peer closed the connection.</summary>
    public static async Task<MiniHttpRequest?> ReadRequestAsync(BufferedReader reader, CancellationToken cancellationToken)
    {
        string? requestLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        while (requestLine is { Length: 0 })
        {
            requestLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }

        if (requestLine is null)
        {
            return null;
        }

        string[] parts = requestLine.Split(' ');
        if (parts.Length < 3)
        {
            throw new InvalidDataException("Malformed request line.");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int headSize = requestLine.Length;
        while (true)
        {
            string? line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new EndOfStreamException();
            if (line.Length == 0)
            {
                break;
            }

            headSize += line.Length;
            if (headSize > MaxHead)
            {
                throw new InvalidDataException("Request head too large.");
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        byte[] body = [];
        if (headers.TryGetValue("Content-Length", out string? lengthText) && int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out int length) && length > 0)
        {
            body = await reader.ReadExactlyAsync(length, cancellationToken).ConfigureAwait(false);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            using var buffer = new MemoryStream();
            while (true)
            {
                string sizeLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new EndOfStreamException();
                int size = int.Parse(sizeLine.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 })
                    {
                    }

                    break;
                }

                buffer.Write(await reader.ReadExactlyAsync(size, cancellationToken).ConfigureAwait(false));
                await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }

            body = buffer.ToArray();
        }

        string target = parts[1];
        int question = target.IndexOf('?', StringComparison.Ordinal);
        string path = Uri.UnescapeDataString(question < 0 ? target : target[..question]);
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (question >= 0)
        {
            foreach (string pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                string name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
                string value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
                query[name] = value;
            }
        }

        return new MiniHttpRequest(parts[0].ToUpperInvariant(), path, query, headers, body);
    }

    public static async Task WriteResponseAsync(Stream stream, int status, string contentType, string body, CancellationToken cancellationToken)
    {
        byte[] payload = Encoding.UTF8.GetBytes(body);
        string head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nCache-Control: no-cache, private\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteChunkedHeadAsync(Stream stream, string contentType, CancellationToken cancellationToken)
    {
        string head = $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache, private\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteChunkAsync(Stream stream, string text, CancellationToken cancellationToken)
    {
        byte[] payload = Encoding.UTF8.GetBytes(text);
        byte[] size = Encoding.ASCII.GetBytes(payload.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        byte[] chunk = new byte[size.Length + payload.Length + 2];
        size.CopyTo(chunk, 0);
        payload.CopyTo(chunk, size.Length);
        chunk[^2] = (byte)'\r';
        chunk[^1] = (byte)'\n';
        await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteLastChunkAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        _ => "Status",
    };
}

/// <summary>Line and block reads over a socket stream.</summary>
internal sealed class BufferedReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return line.Count == 0 ? null : Encoding.ASCII.GetString([.. line]);
            }

            while (_start < _end)
            {
                byte b = _buffer[_start++];
                if (b == (byte)'\n')
                {
                    if (line.Count > 0 && line[^1] == (byte)'\r')
                    {
                        line.RemoveAt(line.Count - 1);
                    }

                    return Encoding.UTF8.GetString([.. line]);
                }

                line.Add(b);
            }
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException();
            }

            int n = Math.Min(count - filled, _end - _start);
            Array.Copy(_buffer, _start, result, filled, n);
            _start += n;
            filled += n;
        }

        return result;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        try
        {
            _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is SocketException)
        {
            _end = 0;
        }

        return _end > 0;
    }
}
