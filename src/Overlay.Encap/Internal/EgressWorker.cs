using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>TUN → network for one TUN queue: read, decide, segment super-packets, and send in batches through the tunnel's transport.</summary>
internal sealed unsafe class EgressWorker
{
    private const int MaxSegmentsPerSend = 64;
    private const int MaxGsoBytes = ushort.MaxValue - IPv4Header.MinimumLength - UdpHeader.Length;   // 65,507: one IPv4 datagram
    private const int SlotSize = VirtioNetHeader.Length + ushort.MaxValue + 1;

    private readonly Tunnel _tunnel;
    private readonly TunnelTransport _transport;
    private readonly TunDevice _tun;
    private readonly WorkerCounters _counters;
    private int _batch;
    private bool _vnet;
    private int _headroom;
    private int _iovsPerMessage;
    private int _headerSpace;
    private byte[]? _slots;
    private byte[]? _segments;
    private byte[]? _icmp;
    private byte* _slotBase;
    private byte* _segBase;
    private Libc.MMsgHdr* _messages;
    private Libc.IoVec* _iovs;
    private Libc.SockAddrIn* _names;
    private byte* _headers;
    private TunnelPeerTable.PeerCounters?[] _messagePeers = [];
    private byte* _control;
    private int _tunFd;
    private int _sock;
    private int _pending;
    private bool _tunRef;
    private bool _sockRef;

    public EgressWorker(Tunnel tunnel, TunDevice tun, WorkerCounters counters)
    {
        _tunnel = tunnel;
        _transport = tunnel.Transport;
        _tun = tun;
        _counters = counters;
    }

    public int Fd => _tun.Fd;

    /// <summary>Allocates the worker's buffers (pinned, so their addresses hold) and references the descriptors; on the worker thread.</summary>
    public void Open()
    {
        _batch = _tunnel.Options.BatchSize;
        _vnet = _tun.HasVirtioNetHeader;
        _headroom = _vnet ? VirtioNetHeader.Length : 0;
        _iovsPerMessage = _transport.IovsPerMessage;
        _headerSpace = _transport.HeaderSpace;
        _slots = GC.AllocateUninitializedArray<byte>(_batch * SlotSize, pinned: true);
        _segments = GC.AllocateUninitializedArray<byte>(2 * (ushort.MaxValue + 1), pinned: true);
        _icmp = GC.AllocateUninitializedArray<byte>(IcmpDestinationUnreachable.MaximumLength, pinned: true);
        _slotBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slots));
        _segBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_segments));
        int messageCount = Math.Max(_batch, MaxSegmentsPerSend);
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.MMsgHdr)));
        _iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(messageCount * _iovsPerMessage * sizeof(Libc.IoVec)));
        _names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(messageCount * sizeof(Libc.SockAddrIn)));
        _headers = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, messageCount * _headerSpace));
        _messagePeers = new TunnelPeerTable.PeerCounters?[messageCount];
        _control = (byte*)NativeMemory.AllocZeroed(32);
        _tun.Handle.DangerousAddRef(ref _tunRef);
        _transport.Socket.DangerousAddRef(ref _sockRef);
        _tunFd = _tun.Fd;
        _sock = _transport.Socket.Fd;
    }

    /// <summary>
    /// Reads the TUN queue until it is empty or one batch was moved, sending what it read; returns the number of
    /// packets read (0: the queue was empty). Never blocks on the TUN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Pump()
    {
        int moved = 0;
        while (true)
        {
            byte* slot = _slotBase + (_pending * SlotSize);
            nint n = Libc.Read(_tunFd, slot, SlotSize);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                if (errno != Libc.EAGAIN)
                {
                    throw EncapException.FromErrno($"read {_tun.Name}", errno);
                }

                SendPending();
                return moved;
            }

            _counters.Add(TunnelCounter.TunReads, 1);
            if (++moved >= _batch)
            {
                // Bounded work per call, so the socket side of a shared thread is served too.
                Process(slot, (int)n);
                SendPending();
                return moved;
            }

            Process(slot, (int)n);
        }
    }

    /// <summary>Releases what <see cref="Open"/> took; on the worker thread, also after a failure.</summary>
    public void Close()
    {
        if (_tunRef)
        {
            _tun.Handle.DangerousRelease();
            _tunRef = false;
        }

        if (_sockRef)
        {
            _transport.Socket.DangerousRelease();
            _sockRef = false;
        }

        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovs);
        NativeMemory.Free(_names);
        NativeMemory.Free(_headers);
        NativeMemory.Free(_control);
        _messages = null;
        _iovs = null;
        _names = null;
        _headers = null;
        _control = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Process(byte* slot, int n)
    {
        if (n <= _headroom)
        {
            return;
        }

        var packet = new Span<byte>(slot + _headroom, n - _headroom);
        int decision = _tunnel.Forwarder.DecideEgress(packet, out TunnelPeerTable.PeerEntry peer);
        if (decision >= 0)
        {
            _counters.Drop((TunnelDropReason)decision);
            if (decision == (int)TunnelDropReason.NoRoute && _tunnel.IcmpSource != 0)
            {
                SendUnreachable(packet, _icmp!);
            }

            return;
        }

        if (_vnet)
        {
            VirtioNetHeader header = VirtioNetHeader.Read(new ReadOnlySpan<byte>(slot, VirtioNetHeader.Length));
            if (header.GsoType != VirtioGsoType.None)
            {
                SendPending();
                if (header.GsoType == VirtioGsoType.TcpV4 && header.GsoSize > 0)
                {
                    SendSuperPacket(packet, header.GsoSize, peer);
                }
                else
                {
                    _counters.Drop(TunnelDropReason.BadOffload);
                }

                return;
            }

            if (header.NeedsChecksum && !VirtioNetHeader.CompleteChecksum(packet, header.ChecksumStart, header.ChecksumOffset))
            {
                _counters.Drop(TunnelDropReason.BadOffload);
                return;
            }
        }

        SetMessage(_pending, slot + _headroom, packet.Length, peer);
        _messagePeers[_pending] = peer.Counters;
        _counters.Add(TunnelCounter.EgressPackets, 1);
        _counters.Add(TunnelCounter.EgressBytes, packet.Length);
        peer.Counters.AddEgress(1, packet.Length);
        if (++_pending == _batch)
        {
            SendPending();
        }
    }

    private void SendPending()
    {
        if (_pending > 0)
        {
            SendBatch(_pending);
            _pending = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetMessage(int index, byte* data, int length, in TunnelPeerTable.PeerEntry peer) =>
        _transport.SetMessage(&_messages[index].Header, _iovs + (index * _iovsPerMessage), _names + index, _headers + (index * _headerSpace), data, length, peer);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SendBatch(int count)
    {
        Libc.MMsgHdr* messages = _messages;
        int sent = 0;
        while (sent < count)
        {
            int r = Libc.SendMMsg(_sock, messages + sent, (uint)(count - sent), 0);
            _counters.Add(TunnelCounter.SendCalls, 1);
            if (r > 0)
            {
                sent += r;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                if (!_tunnel.WaitReady(_sock, Libc.POLLOUT))
                {
                    return;
                }

                continue;
            }

            if (errno == Libc.EINTR)
            {
                continue;
            }

            // The first remaining message failed (e.g. ENETUNREACH, EMSGSIZE): count it and go on.
            // The inner packet is the message's last I/O vector (after the outer header, if the transport writes one).
            ref Libc.MsgHdr failed = ref messages[sent].Header;
            long length = (long)failed.Iov[failed.IovLength - 1].Length;
            _counters.Drop(TunnelDropReason.SendFailed);
            _counters.Add(TunnelCounter.EgressPackets, -1);
            _counters.Add(TunnelCounter.EgressBytes, -length);
            if (_messagePeers[sent] is { } peer)
            {
                peer.AddEgress(-1, -length);
                peer.AddDrops(1);
            }

            sent++;
        }
    }

    private void SendSuperPacket(Span<byte> packet, int mss, in TunnelPeerTable.PeerEntry peer)
    {
        int count = TcpSegmenter.Segment(packet, mss, new Span<byte>(_segBase, _segments!.Length), out int segmentLength, out int lastLength);
        if (count == 0)
        {
            _counters.Drop(TunnelDropReason.BadOffload);
            return;
        }

        long totalBytes = ((long)(count - 1) * segmentLength) + lastLength;
        _counters.Add(TunnelCounter.EgressPackets, count);
        _counters.Add(TunnelCounter.EgressBytes, totalBytes);
        peer.Counters.AddEgress(count, totalBytes);
        int index = 0;
        if (_tunnel.UsesSegmentationOffload && count > 1)
        {
            index = SendWithSegmentationOffload(count, segmentLength, lastLength, peer);
        }

        while (index < count)
        {
            int k = Math.Min(MaxSegmentsPerSend, count - index);
            for (int j = 0; j < k; j++)
            {
                int i = index + j;
                int length = i == count - 1 ? lastLength : segmentLength;
                SetMessage(j, _segBase + ((long)i * segmentLength), length, peer);
                _messagePeers[j] = peer.Counters;
            }

            SendBatch(k);
            index += k;
        }
    }

    /// <summary>Sends runs of equal segments with one <c>sendmsg</c> + <c>UDP_SEGMENT</c> each; returns how many segments are done (the rest go by <c>sendmmsg</c>).</summary>
    private int SendWithSegmentationOffload(int count, int segmentLength, int lastLength, in TunnelPeerTable.PeerEntry peer)
    {
        int perCall = Math.Clamp(MaxGsoBytes / segmentLength, 1, MaxSegmentsPerSend);
        var cmsg = (Libc.CMsgHdr*)_control;
        cmsg->Length = (nuint)(sizeof(Libc.CMsgHdr) + sizeof(ushort));
        cmsg->Level = Libc.SOL_UDP;
        cmsg->Type = Libc.UDP_SEGMENT;
        *(ushort*)(_control + sizeof(Libc.CMsgHdr)) = (ushort)segmentLength;
        int index = 0;
        while (index < count && _tunnel.UsesSegmentationOffload)
        {
            int k = Math.Min(perCall, count - index);
            int bytes = index + k == count ? ((k - 1) * segmentLength) + lastLength : k * segmentLength;
            Libc.MsgHdr msg;
            Libc.IoVec iov;
            Libc.SockAddrIn name;
            _transport.SetMessage(&msg, &iov, &name, null, _segBase + ((long)index * segmentLength), bytes, peer);
            msg.Control = _control;
            msg.ControlLength = 24;
            nint r = Libc.SendMsg(_sock, &msg, 0);
            _counters.Add(TunnelCounter.SendCalls, 1);
            if (r >= 0)
            {
                index += k;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                if (!_tunnel.WaitReady(_sock, Libc.POLLOUT))
                {
                    return count;
                }
            }
            else if (errno == Libc.EIO)
            {
                _tunnel.DisableSegmentationOffload();
            }
            else if (errno != Libc.EINTR)
            {
                _counters.Drop(TunnelDropReason.SendFailed, k);
                _counters.Add(TunnelCounter.EgressPackets, -k);
                _counters.Add(TunnelCounter.EgressBytes, -bytes);
                peer.Counters.AddEgress(-k, -bytes);
                peer.Counters.AddDrops(k);
                index += k;
            }
        }

        return index;
    }

    private void SendUnreachable(Span<byte> packet, byte[] buffer)
    {
        int length = IcmpDestinationUnreachable.TryWrite(packet, _tunnel.IcmpSource, buffer);
        if (length == 0)
        {
            return;
        }

        try
        {
            if (_tun.TryWrite(buffer.AsSpan(0, length)))
            {
                _counters.Add(TunnelCounter.IcmpUnreachable, 1);
                _counters.Add(TunnelCounter.TunWrites, 1);
            }
        }
        catch (EncapException)
        {
            // An ICMP error that cannot be delivered is not worth more than the packet it reports.
        }
    }
}
