using System.Threading.Channels;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink.Tests.Support;

/// <summary>
/// A scripted netlink transport (mdlayher's nltest idea): records every datagram sent and answers
/// with whatever <see cref="OnSend"/> returns, or with datagrams/exceptions queued by the test.
/// </summary>
internal sealed class FakeKernel : INetlinkTransport
{
    public const uint Port = 4242;
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>();

    public List<byte[]> Sent { get; } = [];

    public Func<byte[], IEnumerable<byte[]>>? OnSend { get; set; }

    public uint PortId => Port;

    public int ReceiveBufferSize { get; set; } = 8 * 1024 * 1024;

    public int SendBufferSize { get; set; } = 2 * 1024 * 1024;

    public bool Disposed { get; private set; }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        byte[] copy = datagram.ToArray();
        Sent.Add(copy);
        if (OnSend is not null)
        {
            foreach (byte[] reply in OnSend(copy))
            {
                Enqueue(reply);
            }
        }

        return default;
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        object item = await _inbox.Reader.ReadAsync(cancellationToken);
        if (item is Exception ex)
        {
            throw ex;
        }

        var bytes = (byte[])item;
        bytes.CopyTo(buffer);
        return bytes.Length;
    }

    public void Enqueue(byte[] datagram) => _inbox.Writer.TryWrite(datagram);

    public void EnqueueException(Exception exception) => _inbox.Writer.TryWrite(exception);

    public void Dispose() => Disposed = true;

    /// <summary>The messages of a datagram: type, flags, sequence.</summary>
    public static List<(ushort Type, NetlinkMessageFlags Flags, uint Sequence)> Messages(byte[] datagram)
    {
        var list = new List<(ushort, NetlinkMessageFlags, uint)>();
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage m))
        {
            list.Add((m.Header.Type, m.Header.Flags, m.Header.Sequence));
        }

        return list;
    }

    /// <summary>An NLMSG_ERROR (error 0 = acknowledgement), capped, with optional extended-ack text and offset.</summary>
    public static byte[] Ack(uint sequence, int errno = 0, string? text = null, uint? offset = null, uint port = Port, ushort requestType = 24)
    {
        byte[] buffer = new byte[512];
        var flags = NetlinkMessageFlags.Capped | (text is not null || offset is not null ? NetlinkMessageFlags.AcknowledgeTlvs : 0);
        var w = new NetlinkMessageWriter(buffer, NetlinkMessageType.Error, flags, sequence);
        Span<byte> body = w.WriteZeroes(4 + 16);
        BitConverter.TryWriteBytes(body, -errno);
        BitConverter.TryWriteBytes(body[4..], 16u);
        BitConverter.TryWriteBytes(body[8..], requestType);
        BitConverter.TryWriteBytes(body[12..], sequence);
        if (text is not null)
        {
            w.WriteString(1, text);
        }

        if (offset is uint o)
        {
            w.WriteUInt32(2, o);
        }

        int length = w.Finish();
        BitConverter.TryWriteBytes(buffer.AsSpan(12), port);
        return buffer[..length];
    }

    /// <summary>One route message (as a dump part or a notification).</summary>
    public static byte[] RouteMessage(uint sequence, string destination, ushort type = RtmType.NewRoute, NetlinkMessageFlags flags = NetlinkMessageFlags.Multi, byte protocol = 77)
    {
        byte[] buffer = new byte[256];
        var w = new NetlinkMessageWriter(buffer);
        RtnetlinkCodec.WriteRoute(ref w, type, flags, new Route { Destination = System.Net.IPNetwork.Parse(destination), Protocol = protocol, OutputInterface = 2 }, sequence);
        int length = w.Length;
        BitConverter.TryWriteBytes(buffer.AsSpan(12), Port);
        return buffer[..length];
    }

    public static byte[] Done(uint sequence)
    {
        byte[] buffer = new byte[32];
        var w = new NetlinkMessageWriter(buffer, NetlinkMessageType.Done, NetlinkMessageFlags.Multi, sequence);
        w.WriteZeroes(4);
        int length = w.Finish();
        BitConverter.TryWriteBytes(buffer.AsSpan(12), Port);
        return buffer[..length];
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
