using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Overlay.Vici.Tests.Support;

/// <summary>
/// A swanctl ↔ charon conversation captured with strace (TestData/Captures, made by TestData/capture.sh): the bytes
/// swanctl sent (sendto) and those charon sent (recvfrom), each split into whole VICI packets (length prefix
/// included). The split reads only the 4-byte length and the type/name bytes, so it does not depend on the codec
/// under test.
/// </summary>
internal sealed partial class Capture
{
    private Capture(string command, byte[] client, byte[] server, List<(int ServerOffset, int ClientLength)> timeline)
    {
        Command = command;
        ClientPackets = Split(client);
        ServerPackets = Split(server);

        // Which client packet each server packet answers: the last one wholly sent before the packet's first byte arrived.
        var answers = ClientPackets.Select(_ => new List<byte[]>()).ToList();
        int serverOffset = 0;
        foreach (byte[] packet in ServerPackets)
        {
            int clientLength = timeline.Last(t => t.ServerOffset <= serverOffset).ClientLength;
            int sent = 0, index = -1;
            for (int i = 0; i < ClientPackets.Count && sent + ClientPackets[i].Length <= clientLength; i++)
            {
                sent += ClientPackets[i].Length;
                index = i;
            }

            answers[index].Add(packet);
            serverOffset += packet.Length;
        }

        Answers = answers;
    }

    /// <summary>For each client packet, the server packets that followed it (events and the answer).</summary>
    public IReadOnlyList<IReadOnlyList<byte[]>> Answers { get; }

    public string Command { get; }

    public IReadOnlyList<byte[]> ClientPackets { get; }

    public IReadOnlyList<byte[]> ServerPackets { get; }

    public static Capture Load(string name)
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "Captures", name + ".strace"));
        var client = new List<byte>();
        var server = new List<byte>();
        var timeline = new List<(int, int)>();
        foreach (string line in lines.Skip(1))
        {
            Match call = Call().Match(line);
            if (!call.Success)
            {
                continue;
            }

            byte[] bytes = [.. Hex().Matches(call.Groups["data"].Value).Select(m => Convert.ToByte(m.Groups[1].Value, 16))];
            if (call.Groups["op"].Value == "sendto")
            {
                client.AddRange(bytes);
            }
            else
            {
                timeline.Add((server.Count, client.Count));
                server.AddRange(bytes);
            }
        }

        return new Capture(lines[0].Replace("# command: ", string.Empty, StringComparison.Ordinal), [.. client], [.. server], timeline);
    }

    /// <summary>The packet's type byte.</summary>
    public static byte TypeOf(byte[] packet) => packet[4];

    /// <summary>The packet's name (command or event), or null for unnamed types.</summary>
    public static string? NameOf(byte[] packet) =>
        packet[4] is 0 or 3 or 4 or 7 ? Encoding.ASCII.GetString(packet, 6, packet[5]) : null;

    /// <summary>The first client packet that is a command request named <paramref name="command"/>.</summary>
    public byte[] ClientCommand(string command) => ClientPackets.First(p => TypeOf(p) == 0 && NameOf(p) == command);

    /// <summary>A fake charon's script: the answers that followed the first client packet equal to the one received.</summary>
    public IEnumerable<byte[]> Replay(byte[] received)
    {
        int index = ClientPackets.ToList().FindIndex(p => p.AsSpan().SequenceEqual(received));
        return index < 0 ? [] : Answers[index];
    }

    private static List<byte[]> Split(byte[] stream)
    {
        var packets = new List<byte[]>();
        for (int i = 0; i < stream.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(i));
            packets.Add(stream[i..(i + 4 + length)]);
            i += 4 + length;
        }

        return packets;
    }

    [GeneratedRegex(@"^(?<op>sendto|recvfrom)\(\d+, ""(?<data>(\\x[0-9a-f]{2})*)""")]
    private static partial Regex Call();

    [GeneratedRegex(@"\\x([0-9a-f]{2})")]
    private static partial Regex Hex();
}
