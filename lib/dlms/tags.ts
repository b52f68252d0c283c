// The A-XDR type tags (han-spec.md 3.3) and the APDU tags (3.1). A module of its own that imports nothing: the
// bundler then writes the numbers into the code that uses them, where a name would cost the interpreter a
// variable for as long as it runs and a scope lookup each time.

export const T_NULL = 0x00;
export const T_ARRAY = 0x01;
export const T_STRUCTURE = 0x02;
export const T_BOOLEAN = 0x03;
export const T_BIT_STRING = 0x04;
export const T_INT32 = 0x05;
export const T_UINT32 = 0x06;
export const T_OCTET_STRING = 0x09;
export const T_VISIBLE_STRING = 0x0a;
export const T_UTF8_STRING = 0x0c;
export const T_BCD = 0x0d;
export const T_INT8 = 0x0f;
export const T_INT16 = 0x10;
export const T_UINT8 = 0x11;
export const T_UINT16 = 0x12;
export const T_INT64 = 0x14;
export const T_UINT64 = 0x15;
export const T_ENUM = 0x16;
export const T_FLOAT32 = 0x17;
export const T_FLOAT64 = 0x18;
export const T_DATE_TIME = 0x19;
export const T_DATE = 0x1a;
export const T_TIME = 0x1b;

export const APDU_DATA_NOTIFICATION = 0x0f;
export const APDU_GENERAL_GLO_CIPHERING = 0xdb;
export const APDU_GENERAL_DED_CIPHERING = 0xdd;
export const APDU_GENERAL_BLOCK_TRANSFER = 0xe0;
