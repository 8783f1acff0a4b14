/* -k through a frame whose CFI is DWARF expressions: hand_framed (assembly) describes its
 * CFA with DW_CFA_def_cfa_expression (rsp + 16) and where it saved rbx with
 * DW_CFA_expression (CFA - 16), as PLT stubs and realigned stacks do. */
#include <unistd.h>

__attribute__((noinline)) void inner(void) {
    (void)!write(1, "x\n", 2);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

void hand_framed(void);
__asm__(
    ".text\n"
    ".globl hand_framed\n"
    ".type hand_framed, @function\n"
    "hand_framed:\n"
    "  .cfi_startproc\n"
    "  push %rbx\n"
    /* DW_CFA_def_cfa_expression, 2 bytes: DW_OP_breg7 (rsp) 16 */
    "  .cfi_escape 0x0f, 0x02, 0x77, 0x10\n"
    /* DW_CFA_expression rbx, 2 bytes: DW_OP_lit16, DW_OP_minus (CFA - 16) */
    "  .cfi_escape 0x10, 0x03, 0x02, 0x40, 0x1c\n"
    "  mov $7, %rbx\n"
    "  call inner\n"
    "  pop %rbx\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  .cfi_restore %rbx\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size hand_framed, .-hand_framed\n");

int main(void) {
    hand_framed();
    return 0;
}
