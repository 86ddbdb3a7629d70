using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Overlay.Vici.Internal;

/// <summary>The packet types of the VICI protocol.</summary>
internal enum ViciPacketType : byte
{
    CommandRequest = 0,
    CommandResponse = 1,
    CommandUnknown = 2,
    EventRegister = 3,
    EventUnregister = 4,
    EventConfirm = 5,
    EventUnknown = 6,
    Event = 7,
}

/// <summary>A decoded packet: its type, its name (named types) and its message (message-carrying types).</summary>
internal readonly record struct ViciPacket(ViciPacketType Type, string? Name, ViciMessage? Message);

/// <summary>
/// The VICI wire format: a packet is a 4-byte big-endian length, a type byte, for named types a length byte and the
/// name, and for message-carrying types the message, a sequence of elements (SECTION_START 1 + name,
/// SECTION_END 2, KEY_VALUE 3 + name + 2-byte length + value, LIST_START 4 + name, LIST_ITEM 5 + 2-byte length +
/// value, LIST_END 6). Packets are written straight into the pipe's buffer and read straight from its segments.
/// </summary>
internal static class ViciCodec
{
    private const byte SectionStart = 1;
    private const byte SectionEnd = 2;
    private const byte KeyValue = 3;
    private const byte ListStart = 4;
    private const byte ListItem = 5;
    private const byte ListEnd = 6;

    /// <summary>How deep sections may nest in a received message (charon's own messages nest a few levels).</summary>
    public const int MaxDepth = 32;

    public static bool IsNamed(ViciPacketType type) =>
        type is ViciPacketType.CommandRequest or ViciPacketType.EventRegister or ViciPacketType.EventUnregister or ViciPacketType.Event;

    public static bool CarriesMessage(ViciPacketType type) =>
        type is ViciPacketType.CommandRequest or ViciPacketType.CommandResponse or ViciPacketType.Event;

    /// <summary>The encoded length of <paramref name="message"/>'s elements.</summary>
    public static int MessageLength(ViciMessage message)
    {
        int length = 0;
        foreach (ViciEntry e in message.Entries)
        {
            int name = Encoding.UTF8.GetByteCount(e.Name);
            length += e.Kind switch
            {
                ViciEntryKind.KeyValue => 2 + name + 2 + e.Value.Length,
                ViciEntryKind.Section => 2 + name + MessageLength(e.Section!) + 1,
                _ => 2 + name + e.Items!.Sum(i => 3 + i.Length) + 1,
            };
        }

        return length;
    }

    /// <summary>Writes one packet; returns its length including the 4-byte length prefix.</summary>
    public static int WritePacket(IBufferWriter<byte> writer, ViciPacketType type, string? name, ViciMessage? message)
    {
        int nameLength = IsNamed(type) ? 1 + Encoding.UTF8.GetByteCount(name ?? throw new ArgumentNullException(nameof(name))) : 0;
        int bodyLength = CarriesMessage(type) && message is not null ? MessageLength(message) : 0;
        int length = 1 + nameLength + bodyLength;
        Span<byte> header = writer.GetSpan(4 + 1 + nameLength);
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        header[4] = (byte)type;
        int written = 5;
        if (nameLength > 0)
        {
            written += WriteName(header[5..], name!);
        }

        writer.Advance(written);
        if (bodyLength > 0)
        {
            WriteMessage(writer, message!);
        }

        return 4 + length;
    }

    private static void WriteMessage(IBufferWriter<byte> writer, ViciMessage message)
    {
        foreach (ViciEntry e in message.Entries)
        {
            switch (e.Kind)
            {
                case ViciEntryKind.KeyValue:
                {
                    Span<byte> span = writer.GetSpan(2 + ViciMessage.MaxNameLength + 2);
                    span[0] = KeyValue;
                    int n = 1 + WriteName(span[1..], e.Name);
                    BinaryPrimitives.WriteUInt16BigEndian(span[n..], (ushort)e.Value.Length);
                    writer.Advance(n + 2);
                    writer.Write(e.Value.Span);
                    break;
                }

                case ViciEntryKind.Section:
                {
                    Span<byte> span = writer.GetSpan(2 + ViciMessage.MaxNameLength);
                    span[0] = SectionStart;
                    writer.Advance(1 + WriteName(span[1..], e.Name));
                    WriteMessage(writer, e.Section!);
                    writer.GetSpan(1)[0] = SectionEnd;
                    writer.Advance(1);
                    break;
                }

                default:
                {
                    Span<byte> span = writer.GetSpan(2 + ViciMessage.MaxNameLength);
                    span[0] = ListStart;
                    writer.Advance(1 + WriteName(span[1..], e.Name));
                    foreach (ReadOnlyMemory<byte> item in e.Items!)
                    {
                        Span<byte> head = writer.GetSpan(3);
                        head[0] = ListItem;
                        BinaryPrimitives.WriteUInt16BigEndian(head[1..], (ushort)item.Length);
                        writer.Advance(3);
                        writer.Write(item.Span);
                    }

                    writer.GetSpan(1)[0] = ListEnd;
                    writer.Advance(1);
                    break;
                }
            }
        }
    }

    private static int WriteName(Span<byte> destination, string name)
    {
        int n = Encoding.UTF8.GetBytes(name, destination[1..]);
        destination[0] = (byte)n;
        return 1 + n;
    }

    /// <summary>
    /// Reads one whole packet from the front of <paramref name="buffer"/> and slices it off; false when the buffer
    /// does not hold a whole packet yet.
    /// </summary>
    /// <exception cref="ViciException">The packet is longer than <paramref name="maxPacketSize"/> or malformed.</exception>
    public static bool TryReadPacket(ref ReadOnlySequence<byte> buffer, int maxPacketSize, out ViciPacket packet)
    {
        packet = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int length))
        {
            return false;
        }

        if (length < 1 || length > maxPacketSize)
        {
            throw new ViciException($"VICI packet of {length} bytes (the limit is {maxPacketSize}): not a VICI peer, or a corrupt stream.", isTransient: true);
        }

        if (reader.Remaining < length)
        {
            return false;
        }

        long end = reader.Consumed + length;
        reader.TryRead(out byte typeByte);
        if (typeByte > (byte)ViciPacketType.Event)
        {
            throw new ViciException($"Unknown VICI packet type {typeByte}.", isTransient: true);
        }

        var type = (ViciPacketType)typeByte;
        string? name = IsNamed(type) ? ReadName(ref reader, end) : null;
        ViciMessage? message = CarriesMessage(type) ? ReadMessage(ref reader, end, 0) : null;
        if (reader.Consumed != end)
        {
            throw new ViciException($"VICI {type} packet has {end - reader.Consumed} bytes after its content.", isTransient: true);
        }

        packet = new ViciPacket(type, name, message);
        buffer = buffer.Slice(end);
        return true;
    }

    private static ViciMessage ReadMessage(ref SequenceReader<byte> reader, long end, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ViciException($"VICI message nests sections deeper than {MaxDepth}.", isTransient: true);
        }

        var message = new ViciMessage();
        while (reader.Consumed < end)
        {
            reader.TryRead(out byte element);
            switch (element)
            {
                case KeyValue:
                {
                    string key = ReadName(ref reader, end);
                    message.AddEntry(ViciEntry.KeyValue(key, ReadValue(ref reader, end)));
                    break;
                }

                case SectionStart:
                {
                    string name = ReadName(ref reader, end);
                    message.AddEntry(ViciEntry.SectionOf(name, ReadMessage(ref reader, end, depth + 1)));
                    if (!reader.TryRead(out byte close) || close != SectionEnd || reader.Consumed > end)
                    {
                        throw new ViciException($"VICI section '{name}' is not closed.", isTransient: true);
                    }

                    break;
                }

                case ListStart:
                {
                    string name = ReadName(ref reader, end);
                    var items = new List<ReadOnlyMemory<byte>>();
                    while (true)
                    {
                        if (reader.Consumed >= end || !reader.TryRead(out byte next))
                        {
                            throw new ViciException($"VICI list '{name}' is not closed.", isTransient: true);
                        }

                        if (next == ListEnd)
                        {
                            break;
                        }

                        if (next != ListItem)
                        {
                            throw new ViciException($"VICI list '{name}' holds element type {next}.", isTransient: true);
                        }

                        items.Add(ReadValue(ref reader, end));
                    }

                    message.AddEntry(ViciEntry.ListOf(name, items));
                    break;
                }

                case SectionEnd:
                    // The end of the enclosing section: give the byte back to the caller, which checks it.
                    if (depth == 0)
                    {
                        throw new ViciException("VICI message closes a section it never opened.", isTransient: true);
                    }

                    reader.Rewind(1);
                    return message;

                default:
                    throw new ViciException($"Unknown VICI element type {element}.", isTransient: true);
            }
        }

        if (depth > 0)
        {
            throw new ViciException("VICI message ends inside a section.", isTransient: true);
        }

        return message;
    }

    private static string ReadName(ref SequenceReader<byte> reader, long end)
    {
        if (!reader.TryRead(out byte length) || reader.Consumed + length > end)
        {
            throw new ViciException("VICI name runs past the end of its packet.", isTransient: true);
        }

        Span<byte> bytes = stackalloc byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        return Encoding.UTF8.GetString(bytes);
    }

    private static byte[] ReadValue(ref SequenceReader<byte> reader, long end)
    {
        if (!reader.TryReadBigEndian(out short signed) || reader.Consumed + (ushort)signed > end)
        {
            throw new ViciException("VICI value runs past the end of its packet.", isTransient: true);
        }

        byte[] value = new byte[(ushort)signed];
        reader.TryCopyTo(value);
        reader.Advance(value.Length);
        return value;
    }
}
