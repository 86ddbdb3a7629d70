using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Overlay.Vici.Tests.Support;

/// <summary>
/// A scripted stand-in for charon on a Unix socket in a private temporary directory: records every packet a client
/// sends (whole, length prefix included) and answers each with what <see cref="Respond"/> returns (raw packets).
/// <see cref="DropConnectionsAsync"/> closes the open connections as a restarting charon would.
/// </summary>
internal sealed class FakeCharon : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _connections = [];
    private readonly Task _accept;

    public FakeCharon(Func<byte[], IEnumerable<byte[]>> respond)
    {
        Respond = respond;
        _directory = Directory.CreateTempSubdirectory("ovl-vici-fake-").FullName;
        SocketPath = Path.Combine(_directory, "charon.vici");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen();
        _accept = Task.Run(AcceptLoopAsync);
    }

    public string SocketPath { get; }

    public Func<byte[], IEnumerable<byte[]>> Respond { get; set; }

    /// <summary>Every packet received, in order, across connections.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    public int Accepted => _connections.Count;

    /// <summary>Sends raw packets to every open connection (events charon pushes on its own).</summary>
    public async Task PushAsync(byte[] packet)
    {
        foreach (Socket s in _connections.Where(s => s.Connected))
        {
            await s.SendAsync(packet);
        }
    }

    public Task DropConnectionsAsync()
    {
        foreach (Socket s in _connections)
        {
            try
            {
                s.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            s.Dispose();
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await DropConnectionsAsync();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Directory.Delete(_directory, recursive: true);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection = await _listener.AcceptAsync(_stop.Token);
            _connections.Add(connection);
            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        try
        {
            byte[] header = new byte[4];
            while (true)
            {
                if (!await ReadExactlyAsync(connection, header))
                {
                    return;
                }

                byte[] packet = new byte[4 + BinaryPrimitives.ReadInt32BigEndian(header)];
                header.CopyTo(packet, 0);
                if (!await ReadExactlyAsync(connection, packet.AsMemory(4)))
                {
                    return;
                }

                Received.Enqueue(packet);
                foreach (byte[] answer in Respond(packet))
                {
                    await connection.SendAsync(answer);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>A raw packet: type, optional name, optional body bytes.</summary>
    public static byte[] Packet(byte type, string? name = null, byte[]? body = null)
    {
        byte[] nameBytes = name is null ? [] : [(byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name)];
        byte[] content = [type, .. nameBytes, .. body ?? []];
        byte[] packet = new byte[4 + content.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, content.Length);
        content.CopyTo(packet, 4);
        return packet;
    }

    /// <summary>A KEY_VALUE element.</summary>
    public static byte[] KeyValue(string key, string value)
    {
        byte[] v = System.Text.Encoding.UTF8.GetBytes(value);
        return [3, (byte)key.Length, .. System.Text.Encoding.ASCII.GetBytes(key), (byte)(v.Length >> 8), (byte)v.Length, .. v];
    }
}
