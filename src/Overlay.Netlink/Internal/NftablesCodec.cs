using System.Buffers.Binary;
using System.Text;

namespace Overlay.Netlink.Internal;

/// <summary>
/// Builds and decodes nf_tables messages (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_NFTABLES):
/// the nfgenmsg header, batch begin/end, tables, chains, rules and their expressions. Ids follow
/// linux/netfilter/nf_tables.h and nfnetlink.h; integers in nf_tables attributes are big endian.
/// </summary>
internal static class NftablesCodec
{
    public const int GenMsgLength = 4;
    public const ushort Subsystem = 10; // NFNL_SUBSYS_NFTABLES
    public const ushort BatchBegin = 16; // NFNL_MSG_BATCH_BEGIN
    public const ushort BatchEnd = 17;
    public const int NotificationGroup = 7; // NFNLGRP_NFTABLES

    // NFT_MSG_*
    public const ushort NewTable = 0;
    public const ushort GetTable = 1;
    public const ushort DelTable = 2;
    public const ushort NewChain = 3;
    public const ushort GetChain = 4;
    public const ushort DelChain = 5;
    public const ushort NewRule = 6;
    public const ushort GetRule = 7;
    public const ushort DelRule = 8;
    public const ushort NewGen = 15;

    // NFTA_TABLE_*
    private const ushort TableName = 1;
    private const ushort TableFlags = 2;
    private const ushort TableHandle = 4;
    private const ushort TableUserData = 6;

    // NFTA_CHAIN_*
    private const ushort ChainTable = 1;
    private const ushort ChainHandle = 2;
    private const ushort ChainName = 3;
    private const ushort ChainHook = 4;
    private const ushort ChainPolicy = 5;
    private const ushort ChainType = 7;
    private const ushort ChainUserData = 12;
    private const ushort HookNumber = 1;
    private const ushort HookPriority = 2;

    // NFTA_RULE_*
    private const ushort RuleTable = 1;
    private const ushort RuleChain = 2;
    private const ushort RuleHandle = 3;
    private const ushort RuleExpressions = 4;
    private const ushort ListElement = 1;
    private const ushort ExpressionName = 1;
    private const ushort ExpressionData = 2;
    private const ushort DataValue = 1;
    private const ushort DataVerdict = 2;
    private const ushort VerdictCode = 1;

    // NFTA_GEN_*
    private const ushort GenId = 1;
    private const ushort GenProcessId = 2;
    private const ushort GenProcessName = 3;

    private const byte UserDataComment = 0; // NFTNL_UDATA_{TABLE,CHAIN}_COMMENT
    private const ushort Nested = NetlinkAttribute.NestedFlag;

    public static ushort MessageType(ushort nftMessage) => (ushort)((Subsystem << 8) | nftMessage);

    /// <summary>Writes one batch: BEGIN, the operations (each acknowledged), END. Returns the sequence of the last operation.</summary>
    public static void WriteBatch(ref NetlinkMessageWriter writer, IReadOnlyList<NftOperation> operations, uint firstSequence)
    {
        writer.BeginMessage(BatchBegin, NetlinkMessageFlags.Request, firstSequence);
        WriteGenMsg(ref writer, 0, Subsystem);
        writer.EndMessage();
        uint sequence = firstSequence;
        for (int i = 0; i < operations.Count; i++)
        {
            WriteOperation(ref writer, operations[i], ++sequence, NetlinkMessageFlags.Acknowledge);
        }

        writer.BeginMessage(BatchEnd, NetlinkMessageFlags.Request, ++sequence);
        WriteGenMsg(ref writer, 0, Subsystem);
        writer.EndMessage();
    }

    public static void WriteOperation(ref NetlinkMessageWriter writer, NftOperation operation, uint sequence, NetlinkMessageFlags extraFlags)
    {
        const NetlinkMessageFlags Request = NetlinkMessageFlags.Request;
        switch (operation.Kind)
        {
            case NftOperationKind.AddTable:
                WriteTable(ref writer, (NftTable)operation.Value!, sequence, Request | extraFlags);
                break;
            case NftOperationKind.DeleteTable:
                writer.BeginMessage(MessageType(DelTable), Request | extraFlags, sequence);
                WriteGenMsg(ref writer, (byte)operation.Family, 0);
                writer.WriteString(TableName, operation.Table);
                writer.EndMessage();
                break;
            case NftOperationKind.AddChain:
                WriteChain(ref writer, (NftChain)operation.Value!, sequence, Request | NetlinkMessageFlags.Create | extraFlags);
                break;
            case NftOperationKind.DeleteChain:
                writer.BeginMessage(MessageType(DelChain), Request | extraFlags, sequence);
                WriteGenMsg(ref writer, (byte)operation.Family, 0);
                writer.WriteString(ChainTable, operation.Table);
                writer.WriteString(ChainName, operation.Chain!);
                writer.EndMessage();
                break;
            case NftOperationKind.FlushChain:
                writer.BeginMessage(MessageType(DelRule), Request | extraFlags, sequence);
                WriteGenMsg(ref writer, (byte)operation.Family, 0);
                writer.WriteString(RuleTable, operation.Table);
                writer.WriteString(RuleChain, operation.Chain!);
                writer.EndMessage();
                break;
            case NftOperationKind.AddRule:
                WriteRule(ref writer, (NftRule)operation.Value!, sequence, Request | NetlinkMessageFlags.Create | NetlinkMessageFlags.Append | extraFlags);
                break;
            case NftOperationKind.DeleteRule:
                writer.BeginMessage(MessageType(DelRule), Request | extraFlags, sequence);
                WriteGenMsg(ref writer, (byte)operation.Family, 0);
                writer.WriteString(RuleTable, operation.Table);
                writer.WriteString(RuleChain, operation.Chain!);
                WriteUInt64BigEndian(ref writer, RuleHandle, operation.Handle);
                writer.EndMessage();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.Kind, "Unknown nftables operation.");
        }
    }

    public static void WriteTable(ref NetlinkMessageWriter writer, NftTable table, uint sequence, NetlinkMessageFlags flags)
    {
        writer.BeginMessage(MessageType(NewTable), flags, sequence);
        WriteGenMsg(ref writer, (byte)table.Family, 0);
        writer.WriteString(TableName, table.Name);
        writer.WriteUInt32BigEndian(TableFlags, 0);
        WriteComment(ref writer, TableUserData, table.Comment);
        writer.EndMessage();
    }

    public static void WriteChain(ref NetlinkMessageWriter writer, NftChain chain, uint sequence, NetlinkMessageFlags flags)
    {
        writer.BeginMessage(MessageType(NewChain), flags, sequence);
        WriteGenMsg(ref writer, (byte)chain.Family, 0);
        writer.WriteString(ChainTable, chain.Table);
        writer.WriteString(ChainName, chain.Name);
        if (chain.Type is { } type)
        {
            writer.WriteString(ChainType, type);
        }

        if (chain.Policy is { } policy)
        {
            writer.WriteUInt32BigEndian(ChainPolicy, unchecked((uint)policy));
        }

        if (chain.Hook is { } hook)
        {
            NestedAttribute nested = writer.BeginNested(ChainHook | Nested);
            writer.WriteUInt32BigEndian(HookNumber, (uint)hook);
            writer.WriteUInt32BigEndian(HookPriority, unchecked((uint)chain.Priority));
            writer.EndNested(nested);
        }

        WriteComment(ref writer, ChainUserData, chain.Comment);
        writer.EndMessage();
    }

    public static void WriteRule(ref NetlinkMessageWriter writer, NftRule rule, uint sequence, NetlinkMessageFlags flags)
    {
        writer.BeginMessage(MessageType(NewRule), flags, sequence);
        WriteGenMsg(ref writer, (byte)rule.Family, 0);
        writer.WriteString(RuleTable, rule.Table);
        writer.WriteString(RuleChain, rule.Chain);
        NestedAttribute list = writer.BeginNested(RuleExpressions | Nested);
        IReadOnlyList<NftExpression> expressions = rule.Expressions;
        for (int i = 0; i < expressions.Count; i++)
        {
            NftExpression expression = expressions[i];
            NestedAttribute element = writer.BeginNested(ListElement | Nested);
            writer.WriteString(ExpressionName, expression.Name);
            NestedAttribute data = writer.BeginNested(ExpressionData | Nested);
            expression.WriteData(ref writer);
            writer.EndNested(data);
            writer.EndNested(element);
        }

        writer.EndNested(list);
        writer.EndMessage();
    }

    public static void WriteDump(ref NetlinkMessageWriter writer, ushort nftMessage, NftFamily family, string? table, string? chain, uint sequence)
    {
        writer.BeginMessage(MessageType(nftMessage), NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump, sequence);
        WriteGenMsg(ref writer, (byte)family, 0);
        if (table is not null)
        {
            writer.WriteString(nftMessage == GetTable ? TableName : ChainTable, table); // NFTA_RULE_TABLE == NFTA_CHAIN_TABLE == 1
        }

        if (chain is not null)
        {
            writer.WriteString(RuleChain, chain);
        }

        writer.EndMessage();
    }

    // ---- expressions (order of attributes as nft 1.0 sends them) ----
    public static void WritePayload(ref NetlinkMessageWriter writer, NftPayloadExpression e)
    {
        writer.WriteUInt32BigEndian(1, e.DestinationRegister);
        writer.WriteUInt32BigEndian(2, (uint)e.Base);
        writer.WriteUInt32BigEndian(3, e.Offset);
        writer.WriteUInt32BigEndian(4, e.Length);
    }

    public static void WriteMeta(ref NetlinkMessageWriter writer, NftMetaExpression e)
    {
        writer.WriteUInt32BigEndian(2, (uint)e.Key);
        writer.WriteUInt32BigEndian(1, e.DestinationRegister);
    }

    public static void WriteCmp(ref NetlinkMessageWriter writer, NftCmpExpression e)
    {
        writer.WriteUInt32BigEndian(1, e.SourceRegister);
        writer.WriteUInt32BigEndian(2, (uint)e.Operator);
        WriteDataValue(ref writer, 3, e.Data.Span);
    }

    public static void WriteBitwise(ref NetlinkMessageWriter writer, NftBitwiseExpression e)
    {
        writer.WriteUInt32BigEndian(1, e.SourceRegister);
        writer.WriteUInt32BigEndian(2, e.DestinationRegister);
        writer.WriteUInt32BigEndian(3, (uint)e.Mask.Length);
        WriteDataValue(ref writer, 4, e.Mask.Span);
        WriteDataValue(ref writer, 5, e.Xor.Span);
    }

    public static void WriteImmediate(ref NetlinkMessageWriter writer, NftImmediateExpression e)
    {
        writer.WriteUInt32BigEndian(1, 0);
        NestedAttribute data = writer.BeginNested(2 | Nested);
        NestedAttribute verdict = writer.BeginNested(DataVerdict | Nested);
        writer.WriteUInt32BigEndian(VerdictCode, unchecked((uint)e.Verdict));
        if (e.Chain is { } chain)
        {
            writer.WriteString(2, chain); // NFTA_VERDICT_CHAIN
        }

        writer.EndNested(verdict);
        writer.EndNested(data);
    }

    public static void WriteMasquerade(ref NetlinkMessageWriter writer, NftMasqueradeExpression e)
    {
        if (e.FullyRandom)
        {
            writer.WriteUInt32BigEndian(1, NftMasqueradeExpression.RandomFullyFlag);
        }
    }

    public static void WriteCounter(ref NetlinkMessageWriter writer, NftCounterExpression e)
    {
        WriteUInt64BigEndian(ref writer, 1, e.Bytes);
        WriteUInt64BigEndian(ref writer, 2, e.Packets);
    }

    // ---- decoding ----
    public static NftTable DecodeTable(NetlinkMessage message)
    {
        byte family = message.GetFixedHeader(GenMsgLength)[0];
        string name = string.Empty;
        string? comment = null;
        ulong? handle = null;
        NetlinkAttributeReader attributes = message.GetAttributes(GenMsgLength);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case TableName:
                    name = a.GetString();
                    break;
                case TableHandle:
                    handle = ReadBe64(a);
                    break;
                case TableUserData:
                    comment = ReadComment(a.Value);
                    break;
                default:
                    break;
            }
        }

        return new NftTable { Family = (NftFamily)family, Name = name, Comment = comment, Handle = handle };
    }

    public static NftChain DecodeChain(NetlinkMessage message)
    {
        byte family = message.GetFixedHeader(GenMsgLength)[0];
        string table = string.Empty, name = string.Empty;
        string? type = null, comment = null;
        NftHook? hook = null;
        int priority = 0;
        NftVerdict? policy = null;
        ulong? handle = null;
        NetlinkAttributeReader attributes = message.GetAttributes(GenMsgLength);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case ChainTable:
                    table = a.GetString();
                    break;
                case ChainName:
                    name = a.GetString();
                    break;
                case ChainHandle:
                    handle = ReadBe64(a);
                    break;
                case ChainType:
                    type = a.GetString();
                    break;
                case ChainPolicy:
                    policy = (NftVerdict)(int)a.GetUInt32BigEndian();
                    break;
                case ChainUserData:
                    comment = ReadComment(a.Value);
                    break;
                case ChainHook:
                    NetlinkAttributeReader hookAttributes = a.GetNested();
                    while (hookAttributes.TryRead(out NetlinkAttribute h))
                    {
                        if (h.Type == HookNumber)
                        {
                            hook = (NftHook)(int)h.GetUInt32BigEndian();
                        }
                        else if (h.Type == HookPriority)
                        {
                            priority = unchecked((int)h.GetUInt32BigEndian());
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        return new NftChain { Family = (NftFamily)family, Table = table, Name = name, Type = type, Hook = hook, Priority = priority, Policy = policy, Comment = comment, Handle = handle };
    }

    public static NftRule DecodeRule(NetlinkMessage message)
    {
        byte family = message.GetFixedHeader(GenMsgLength)[0];
        string table = string.Empty, chain = string.Empty;
        ulong? handle = null;
        var expressions = new List<NftExpression>();
        NetlinkAttributeReader attributes = message.GetAttributes(GenMsgLength);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case RuleTable:
                    table = a.GetString();
                    break;
                case RuleChain:
                    chain = a.GetString();
                    break;
                case RuleHandle:
                    handle = ReadBe64(a);
                    break;
                case RuleExpressions:
                    NetlinkAttributeReader list = a.GetNested();
                    while (list.TryRead(out NetlinkAttribute element))
                    {
                        if (element.Type == ListElement)
                        {
                            expressions.Add(DecodeExpression(element.GetNested()));
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        return new NftRule { Family = (NftFamily)family, Table = table, Chain = chain, Expressions = expressions, Handle = handle };
    }

    public static NftGenerationNotification DecodeGeneration(NetlinkMessage message)
    {
        uint id = 0;
        int? pid = null;
        string? name = null;
        NetlinkAttributeReader attributes = message.GetAttributes(GenMsgLength);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case GenId:
                    id = a.GetUInt32BigEndian();
                    break;
                case GenProcessId:
                    pid = unchecked((int)a.GetUInt32BigEndian());
                    break;
                case GenProcessName:
                    name = a.GetString();
                    break;
                default:
                    break;
            }
        }

        return new NftGenerationNotification(id, pid, name);
    }

    private static NftExpression DecodeExpression(NetlinkAttributeReader element)
    {
        string name = string.Empty;
        ReadOnlySpan<byte> data = default;
        while (element.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == ExpressionName)
            {
                name = a.GetString();
            }
            else if (a.Type == ExpressionData)
            {
                data = a.Value;
            }
        }

        Span<uint> u = stackalloc uint[8];
        u.Clear();
        byte[]? value3 = null, value4 = null, value5 = null;
        NftVerdict? verdict = null;
        string? verdictChain = null;
        var reader = new NetlinkAttributeReader(data);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            if (a.Type < u.Length && a.Value.Length == 4)
            {
                u[a.Type] = a.GetUInt32BigEndian();
            }
            else if (a.Type < u.Length && a.Value.Length == 8)
            {
                u[a.Type] = (uint)Math.Min(uint.MaxValue, ReadBe64(a));
            }

            if (a.IsNestedFlagSet || (name == "cmp" && a.Type == 3) || (name == "bitwise" && a.Type is 4 or 5) || (name == "immediate" && a.Type == 2))
            {
                NetlinkAttributeReader nested = a.GetNested();
                while (nested.TryRead(out NetlinkAttribute d))
                {
                    if (d.Type == DataValue)
                    {
                        switch (a.Type)
                        {
                            case 3:
                                value3 = d.Value.ToArray();
                                break;
                            case 4:
                                value4 = d.Value.ToArray();
                                break;
                            case 5:
                                value5 = d.Value.ToArray();
                                break;
                            default:
                                break;
                        }
                    }
                    else if (d.Type == DataVerdict)
                    {
                        NetlinkAttributeReader v = d.GetNested();
                        while (v.TryRead(out NetlinkAttribute code))
                        {
                            if (code.Type == VerdictCode)
                            {
                                verdict = (NftVerdict)(int)code.GetUInt32BigEndian();
                            }
                            else if (code.Type == 2)
                            {
                                verdictChain = code.GetString();
                            }
                        }
                    }
                }
            }
        }

        return name switch
        {
            "payload" when u[5] == 0 => new NftPayloadExpression((NftPayloadBase)u[2], u[3], u[4], u[1]),
            "meta" => new NftMetaExpression((NftMetaKey)u[2], u[1]),
            "cmp" when ValidData(value3) => new NftCmpExpression((NftCmpOperator)u[2], value3!, u[1]),
            "bitwise" when ValidData(value4) && value5?.Length == value4!.Length && u[6] == 0 => new NftBitwiseExpression(value4, value5!, u[1], u[2]),
            "immediate" when verdict is { } v && u[1] == 0 => new NftImmediateExpression(v, verdictChain),
            "masq" => new NftMasqueradeExpression((u[1] & NftMasqueradeExpression.RandomFullyFlag) != 0),
            "counter" => new NftCounterExpression(u[2], u[1]),
            _ => new NftUnknownExpression(name.Length == 0 ? "?" : name, data),
        };
    }

    private static ulong ReadBe64(NetlinkAttribute attribute)
    {
        if (attribute.Value.Length != 8)
        {
            ThrowHelper.ThrowProtocol($"nf_tables attribute {attribute.Type}: expected 8 bytes, got {attribute.Value.Length}.");
        }

        return BinaryPrimitives.ReadUInt64BigEndian(attribute.Value);
    }

    private static bool ValidData(byte[]? value) => value is { Length: > 0 and <= 16 };

    private static void WriteGenMsg(ref NetlinkMessageWriter writer, byte family, ushort resourceId)
    {
        Span<byte> header = writer.WriteZeroes(GenMsgLength);
        header[0] = family;
        header[1] = 0; // NFNETLINK_V0
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], resourceId);
    }

    private static void WriteDataValue(ref NetlinkMessageWriter writer, ushort type, ReadOnlySpan<byte> value)
    {
        NestedAttribute nested = writer.BeginNested((ushort)(type | Nested));
        writer.WriteAttribute(DataValue, value);
        writer.EndNested(nested);
    }

    private static void WriteUInt64BigEndian(ref NetlinkMessageWriter writer, ushort type, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        writer.WriteAttribute(type, bytes);
    }

    /// <summary>libnftnl's user data: TLVs of one-byte type and length; the comment is NUL-terminated.</summary>
    private static void WriteComment(ref NetlinkMessageWriter writer, ushort type, string? comment)
    {
        if (comment is null)
        {
            return;
        }

        int count = Encoding.UTF8.GetByteCount(comment);
        if (count + 1 > byte.MaxValue)
        {
            throw new ArgumentException($"A comment is at most {byte.MaxValue - 1} bytes long: \"{comment}\".", nameof(comment));
        }

        Span<byte> tlv = stackalloc byte[2 + count + 1];
        tlv[0] = UserDataComment;
        tlv[1] = (byte)(count + 1);
        Encoding.UTF8.GetBytes(comment, tlv[2..]);
        tlv[^1] = 0;
        writer.WriteAttribute(type, tlv);
    }

    private static string? ReadComment(ReadOnlySpan<byte> userData)
    {
        while (userData.Length >= 2)
        {
            byte type = userData[0];
            int length = userData[1];
            if (2 + length > userData.Length)
            {
                return null;
            }

            if (type == UserDataComment)
            {
                ReadOnlySpan<byte> text = userData.Slice(2, length);
                int nul = text.IndexOf((byte)0);
                return Encoding.UTF8.GetString(nul >= 0 ? text[..nul] : text);
            }

            userData = userData[(2 + length)..];
        }

        return null;
    }
}
